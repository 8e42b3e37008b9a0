"""Deterministic, realistic-looking records for the sample source, fast enough to outrun a destination.

Everything that needs randomness is drawn once per seed into value pools; record ``i`` then picks from the
pools with cheap multiplicative mixes of ``i`` and is formatted with one bytes ``%`` into JSON that
``orjson.Fragment`` passes through unserialised. Timestamps come from tables as well: record ``i`` is
stamped ``EPOCH + i * STEP_SECONDS``, i.e. day ``i // TICKS_PER_DAY`` at tick ``i % TICKS_PER_DAY``, so
``updated_at`` grows with the id and a cursor value maps straight back to an id.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import orjson

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
STEP_SECONDS = 30
TICKS_PER_DAY = 86400 // STEP_SECONDS
MAX_ACCOUNT_AGE_DAYS = 730  # created_at is up to this many days before updated_at
PROFILE_POOL = 1009  # prime pool sizes, so ids mix well over them
CONTACT_POOL = 1013
PRODUCT_COUNT = 240
RECENT_USERS = 50  # a purchase belongs to one of the users created just before it

FIRST_NAMES = (
    "Ada Grace Alan Linus Barbara Ken Dennis Margaret Edsger Donald Frances Tim Radia Vint Hedy Katherine "
    "Sophie Yukihiro Guido Anders Bjarne Niklaus John Shafi Leslie Juan Amara Chidi Priya Mateo Ines Lars"
).split()
LAST_NAMES = (
    "Lovelace Hopper Turing Torvalds Liskov Thompson Ritchie Hamilton Dijkstra Knuth Allen Berners-Lee "
    "Perlman Cerf Lamarr Johnson Wilson Matsumoto Rossum Hejlsberg Stroustrup Wirth McCarthy Goldwasser "
    "Lamport Perez Okafor Nwosu Sharma Rossi Silva Nilsson"
).split()
TITLES = ("Mr.", "Ms.", "Mx.", "Dr.", "Prof.", None)
OCCUPATIONS = (
    "Software engineer",
    "Civil engineer",
    "Nurse",
    "Data analyst",
    "Teacher",
    "Product designer",
    "Electrician",
    "Accountant",
    "Pharmacist",
    "Architect",
    "Journalist",
    "Chef",
    "Pilot",
    "Librarian",
)
LANGUAGES = ("English", "German", "French", "Spanish", "Portuguese", "Japanese", "Yoruba", "Hindi", "Swedish")
DOMAINS = ("example.com", "example.org", "mail.example.net", "inbox.example.io")
TAGS = ("newsletter", "vip", "beta-tester", "churn-risk", "mobile", "desktop", "referral", "wholesale")
CITIES = (
    ("Berlin", "DE", "10"),
    ("Hamburg", "DE", "20"),
    ("Lyon", "FR", "69"),
    ("Porto", "PT", "40"),
    ("Osaka", "JP", "53"),
    ("Lagos", "NG", "10"),
    ("Austin", "US", "78"),
    ("Pune", "IN", "41"),
    ("Malmo", "SE", "21"),
    ("Leeds", "GB", "LS"),
)
STREETS = ("Main Street", "Lindenallee", "Rue de la Paz", "Harbour Road", "Station Lane", "Elm Avenue", "Market Square")
CATEGORIES = ("Books", "Garden", "Electronics", "Toys", "Kitchen", "Sports", "Music", "Outdoors")
MAKES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Soylent", "Vandelay", "Stark")
PURCHASE_STATUSES = ("delivered", "delivered", "delivered", "shipped", "processing", "returned")


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


def _members(value: dict[str, Any]) -> bytes:
    """``{"a":1,"b":2}`` → ``"a":1,"b":2``: a piece to splice into a record template."""
    return _json(value)[1:-1]


def _tick(i: int) -> tuple[int, int]:
    return divmod(i, TICKS_PER_DAY)


class SampleData:
    """The value pools of one seed, and the record generators that draw from them."""

    def __init__(self, seed: int, max_id: int) -> None:
        rnd = random.Random(seed)
        self.seed = seed
        # Multipliers: odd and seed-dependent, so each seed orders the pools differently.
        self._mix = [rnd.randrange(1 << 20, 1 << 30) | 1 for _ in range(6)]
        self._days = self._day_table(max_id)
        self._times = [
            b"%02d:%02d:%02d" % (t * STEP_SECONDS // 3600, t * STEP_SECONDS // 60 % 60, t * STEP_SECONDS % 60)
            for t in range(TICKS_PER_DAY)
        ]
        self._profiles = [self._profile(rnd) for _ in range(PROFILE_POOL)]
        self._contacts = [self._contact(rnd) for _ in range(CONTACT_POOL)]
        self.products = [self._product(rnd, product_id) for product_id in range(1, PRODUCT_COUNT + 1)]
        self._prices = [product["price"] for product in self.products]

    # -- timestamps ---------------------------------------------------------------------------------

    @staticmethod
    def _day_table(max_id: int) -> list[bytes]:
        """Dates from ``MAX_ACCOUNT_AGE_DAYS`` before the epoch to the day of ``max_id``."""
        first = EPOCH.date() - dt.timedelta(days=MAX_ACCOUNT_AGE_DAYS)
        days = MAX_ACCOUNT_AGE_DAYS + max_id // TICKS_PER_DAY + 2
        return [(first + dt.timedelta(days=d)).isoformat().encode() for d in range(days)]

    def timestamp(self, i: int) -> str:
        """``updated_at`` of record ``i``, e.g. ``2024-01-01T00:00:30Z``."""
        day, tick = _tick(i)
        return (self._days[MAX_ACCOUNT_AGE_DAYS + day] + b"T" + self._times[tick] + b"Z").decode()

    @staticmethod
    def last_id_at(cursor: str) -> int:
        """The largest id whose ``updated_at`` is at or before ``cursor`` (0 if none)."""
        moment = dt.datetime.fromisoformat(cursor.replace("Z", "+00:00"))
        return max(0, int((moment - EPOCH).total_seconds()) // STEP_SECONDS)

    # -- pools ------------------------------------------------------------------------------------

    @staticmethod
    def _profile(rnd: random.Random) -> tuple[bytes, bytes, int]:
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        head = _members(
            {
                "name": f"{first} {last}",
                "title": rnd.choice(TITLES),
                "age": rnd.randint(18, 90),
            }
        )
        email_local = f"{first}.{last}".lower().encode()
        return head + b",", email_local, rnd.randrange(MAX_ACCOUNT_AGE_DAYS)

    @staticmethod
    def _contact(rnd: random.Random) -> tuple[bytes, bytes]:
        city, country, postal_prefix = rnd.choice(CITIES)
        tail = _members(
            {
                "telephone": f"+{rnd.randint(1, 99)} {rnd.randint(100, 999)} {rnd.randint(1000000, 9999999)}",
                "language": rnd.choice(LANGUAGES),
                "occupation": rnd.choice(OCCUPATIONS),
                "height": round(rnd.uniform(1.5, 2.0), 2),
                "address": {
                    "street_number": str(rnd.randint(1, 400)),
                    "street_name": rnd.choice(STREETS),
                    "city": city,
                    "postal_code": f"{postal_prefix}{rnd.randint(100, 999)}",
                    "country_code": country,
                },
                "tags": sorted(rnd.sample(TAGS, rnd.randint(0, 3))),
            }
        )
        return rnd.choice(DOMAINS).encode(), tail

    def _product(self, rnd: random.Random, product_id: int) -> dict[str, Any]:
        make, category = rnd.choice(MAKES), rnd.choice(CATEGORIES)
        return {
            "id": product_id,
            "make": make,
            "model": f"{make[:2].upper()}-{rnd.randint(100, 999)}",
            "name": f"{make} {category.rstrip('s')} {rnd.randint(1, 99)}",
            "category": category,
            "price": round(rnd.uniform(2, 500), 2),
            "sku": f"SKU-{rnd.randrange(16**8):08X}",
            "in_stock": rnd.random() < 0.85,
            "updated_at": self.timestamp(-product_id * TICKS_PER_DAY),  # static, before any user
        }

    # -- records ----------------------------------------------------------------------------------

    def users(self, first_id: int, end_id: int) -> Iterator[orjson.Fragment]:
        """Users ``first_id`` ≤ id < ``end_id`` as JSON fragments (~400 bytes each)."""
        days, times, profiles, contacts = self._days, self._times, self._profiles, self._contacts
        mix_profile, mix_contact = self._mix[0], self._mix[1]
        fragment, offset = orjson.Fragment, MAX_ACCOUNT_AGE_DAYS
        template = b'{"id":%d,"created_at":"%sT%sZ","updated_at":"%sT%sZ",%s"email":"%s.%d@%s",%s}'
        for i in range(first_id, end_id):
            day, tick = divmod(i, TICKS_PER_DAY)
            head, email_local, account_age = profiles[i * mix_profile % PROFILE_POOL]
            domain, tail = contacts[i * mix_contact % CONTACT_POOL]
            time_of_day = times[tick]
            yield fragment(
                template
                % (i, days[offset + day - account_age], time_of_day, days[offset + day], time_of_day, head,
                   email_local, i, domain, tail)
            )  # fmt: skip

    def purchases(self, first_id: int, end_id: int) -> Iterator[orjson.Fragment]:
        """Purchases ``first_id`` ≤ id < ``end_id``; each by a user created shortly before it."""
        days, times, prices = self._days, self._times, self._prices
        mix_user, mix_product, mix_quantity, mix_status = self._mix[2:6]
        fragment, offset = orjson.Fragment, MAX_ACCOUNT_AGE_DAYS
        template = (
            b'{"id":%d,"user_id":%d,"product_id":%d,"quantity":%d,"unit_price":%.2f,"total":%.2f,'
            b'"currency":"EUR","status":"%s","purchased_at":"%sT%sZ","updated_at":"%sT%sZ"}'
        )
        statuses = [status.encode() for status in PURCHASE_STATUSES]
        for i in range(first_id, end_id):
            day, tick = divmod(i, TICKS_PER_DAY)
            product = i * mix_product % PRODUCT_COUNT
            quantity = 1 + i * mix_quantity % 4
            stamp_day, time_of_day = days[offset + day], times[tick]
            yield fragment(
                template
                % (i, max(1, i - i * mix_user % RECENT_USERS), product + 1, quantity, prices[product],
                   prices[product] * quantity, statuses[i * mix_status % len(statuses)], stamp_day, time_of_day,
                   stamp_day, time_of_day)
            )  # fmt: skip
