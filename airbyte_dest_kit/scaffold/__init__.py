"""``dest-kit``: connector folders generated from :mod:`templates <airbyte_dest_kit.scaffold>` and their tests."""
