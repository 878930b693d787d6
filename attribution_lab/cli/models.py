"""``attribution-lab models``: the registered models, one line each."""

from __future__ import annotations

import argparse
from typing import Any

from ..base import available_models
from ._options import print_listing


def add_models_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``models`` command.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_models_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["models"]).func is cmd_models
    True
    """
    p = subparsers.add_parser("models", help="list the models")
    p.set_defaults(func=cmd_models)
    return p


def cmd_models(args: argparse.Namespace) -> None:
    print_listing(available_models())
