"""What the tree checkers here (function-lengths.py, cited-paths.py,
layering.py) share: how they report."""
import sys


def report(tool, problems, summary, status=1):
    """Prints each problem on stdout and the summary on stderr; returns the
    exit status: 0 when there are none, else `status`."""
    for entry in problems:
        print(entry)
    print(f"{tool}: {summary}", file=sys.stderr)
    return status if problems else 0
