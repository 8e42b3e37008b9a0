import sys

from destination_keyvalue import DestinationKeyValue

if __name__ == "__main__":
    DestinationKeyValue().run(sys.argv[1:])
