"""The command line of a fixture part that runs alone (`python3 scripts/fixturegen/<part>.py`)."""
import argparse
import os


def run(doc, make, write_readme, describe):
    """Parses `--root` (default: the repository's Fixtures/), makes the part, writes its README
    and prints `describe(item)` for each item made."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures")
    parser.add_argument("--root", default=os.path.normpath(default_root))
    args = parser.parse_args()
    made = make(args.root)
    write_readme(args.root, made)
    for item in made:
        print(describe(item))
