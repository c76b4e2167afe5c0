import sys
from pathlib import Path

from purgekit.sqlcheck import check_file

problems = check_file(Path(sys.argv[2]), sys.argv[1])
print("\n".join(problems) or f"{sys.argv[2]}: every statement is well-formed")
sys.exit(1 if problems else 0)
