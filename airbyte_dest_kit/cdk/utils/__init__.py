"""``airbyte_cdk.utils``."""

from airbyte_dest_kit.cdk.utils.traced_exception import AirbyteTracedException

__all__ = ["AirbyteTracedException"]
