"""One module per suite: TITLE, add_arguments, configure, run, body and PLOTS."""
