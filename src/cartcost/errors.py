"""The domain's exceptions. cli.py turns them into messages and exit codes.

Exit codes follow Click/Typer: 2 for usage errors (bad option, unknown code, broken
table), 1 when the input is fine but nothing matches.
"""

from collections.abc import Sequence
from typing import NamedTuple


class CartcostError(Exception):
    """Base of every error cartcost reports to a user without a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageProblem(CartcostError):
    """The user asked for something that does not exist or cannot be done (exit 2)."""

    exit_code = 2


class NothingMatches(CartcostError):
    """A valid question with no answer in the table, e.g. no offer there (exit 1)."""

    exit_code = 1


class Problem(NamedTuple):
    """One thing wrong in a rate table: where (file, key path) and what."""

    file: str
    path: str
    message: str
    # Another key path the problem rests on (a figure too large at an FX rate): the file
    # named is whichever layer wrote the later of the two.
    also: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        text = f"{where}: {self.message}"
        # A key or code may hold a newline or tab ("CN\n"): shown escaped, one problem a line.
        return text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


class RatesError(CartcostError):
    """A rate table (or overlay) is broken; carries every problem found at once."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"rate table has {count} problem{'s' if count != 1 else ''}"
        super().__init__(head, hint="fix the table, or check it with `cartcost rates validate`")


def suggest(word: str, options: Sequence[str]) -> str:
    """'did you mean X?' for the nearest option, or '' when nothing is close."""
    import difflib

    by_upper = {o.upper(): o for o in options}
    close = difflib.get_close_matches(word.upper(), list(by_upper), n=1, cutoff=0.5)
    return f"did you mean {by_upper[close[0]]}?" if close else ""
