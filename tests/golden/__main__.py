"""Rewrite the golden files: ``python -m tests.golden`` (then review the diff before committing it)."""

from tests.golden.documents import regenerate

if __name__ == "__main__":
    for stack, count in regenerate().items():
        print(f"{stack}: {count} files")
