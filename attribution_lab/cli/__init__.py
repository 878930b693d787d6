"""The ``attribution-lab`` command line."""

from ._options import (
    CLIError,
    _add_input_options,
    _add_quiet_option,
    _add_touch_options,
    _print_table,
    finite_json,
    load_input,
    main,
    parse_value,
    refuse_inert_options,
    show_progress,
)

# the private names are those analytics and calibrate import until their commands move here
__all__ = [
    "CLIError",
    "_add_input_options",
    "_add_quiet_option",
    "_add_touch_options",
    "_print_table",
    "finite_json",
    "load_input",
    "main",
    "parse_value",
    "refuse_inert_options",
    "show_progress",
]
