#!/usr/bin/env python3
"""The project's files speak of the project and its users: no path of one particular machine (a
home directory, a build host's work tree or mirror). Exits 1 naming each file and line that holds one."""
import re
import sys
from pathlib import Path

# Paths that only exist on the machine a file was written on; examples for users use runs/, /tmp/
# or a placeholder instead.
MACHINE_PATHS = re.compile(r"(/work/|/\.mirror/|/home/[a-z_][a-z0-9_-]*/|/root/)")
TEXT = {".md", ".sh", ".py", ".cpp", ".h", ".txt", ".cmake", ".toml", ".yml", ".yaml", ".json", ".html"}
SKIPPED = {".git", "build", "node_modules"}


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIPPED or part.startswith((".venv", "build")) for part in rel.parts[:-1]):
            continue
        if not path.is_file() or (path.suffix not in TEXT and path.name not in {"CMakeLists.txt", "run"}):
            continue
        if rel == Path("scripts/check_paths.py"):
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if MACHINE_PATHS.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    for f in found:
        print(f)
    print(f"{len(found)} machine-specific path(s)" if found else "no machine-specific paths")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
