"""The sub-commands of ``nadam-ref``; each module has ``add_arguments(parser)`` and ``run(args)``, parses,
calls the library and prints. A user error is a :class:`CLIError`, printed as one line with exit status 2."""


class CLIError(Exception):
    """A user error at the command line: printed as one line without a traceback, exit status 2."""
