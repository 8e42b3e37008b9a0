import sys

from airbyte_cdk.entrypoint import launch
from source_shop import SourceShop

if __name__ == "__main__":
    launch(SourceShop(), sys.argv[1:])
