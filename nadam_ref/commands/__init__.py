"""The sub-commands of ``nadam-ref``; each module has ``add_arguments(parser)`` and ``run(args)``."""
