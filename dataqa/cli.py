"""The ``dataqa`` command.

Sub-commands live beside the code they drive; each area module exposes
``register(app)`` and is attached here. Bad input exits with code 2 and the message,
without a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings

import typer

from dataqa._cli_utils import handle_errors  # noqa: F401  (re-exported for area modules)

app = typer.Typer(
    name="dataqa",
    help="Data quality and labeling: audit labels, weak supervision, active learning, Label "
         "Studio, drift.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _show_version(value: bool) -> None:
    if value:
        from dataqa import __version__

        typer.echo(f"dataqa {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(  # noqa: FBT001 - a flag
        False, "--version", callback=_show_version, is_eager=True,
        help="Print the version and exit.")) -> None:
    """(The app's help is the ``Typer(help=...)`` above; this adds ``--version``.)"""


#: Modules that add commands with ``register(app)``, in help order.
AREA_MODULES = (
    "dataqa.audit.cli",
    "dataqa.weak.cli",
    "dataqa.active.cli",
    "dataqa.labelstudio.cli",
    "dataqa.drift.cli",
)


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the area's package itself is not there
        return False


for _name in AREA_MODULES:
    if _has_module(_name):
        importlib.import_module(_name).register(app)


def _unwrap_help(typer_app: typer.Typer) -> None:
    """Give every command the help of its docstring with each paragraph on one line: the
    help screen keeps a docstring's line breaks after its first paragraph, which cut the
    text at odd places in any terminal narrower or wider than the source."""
    import inspect

    for info in typer_app.registered_commands:
        doc = info.help if info.help is not None else inspect.getdoc(info.callback)
        if doc:
            info.help = "\n\n".join(" ".join(line.strip() for line in para.splitlines())
                                     for para in doc.split("\n\n"))
    for group in typer_app.registered_groups:
        _unwrap_help(group.typer_instance)


_unwrap_help(app)


def _extra_paths_hint(typer_app: typer.Typer) -> None:
    """Make every command say, when it gets more paths than it takes, that the shell may
    have expanded a glob (``dataqa drift train/*.csv new.csv`` without quotes): the bare
    usage error named the extra files only. Its help shows no type beside an on/off flag
    (typer writes ``<bool>``, as if the flag took a value)."""
    from typer.core import TyperCommand, TyperGroup

    def bare_flags(params):
        for param in params:  # an on/off flag takes no value: no "<bool>" in the help
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params

    def _option_before(command, args: list[str], first_extra: str) -> str | None:
        """The option given several times (``multiple``) whose value came just before
        ``first_extra`` in ``args``, else None."""
        at = [k for k, a in enumerate(args) if a == first_extra]
        if not at or at[-1] < 2:
            return None
        name = args[at[-1] - 2]
        for param in command.params:
            if name in getattr(param, "opts", ()) and getattr(param, "multiple", False):
                return name
        return None

    class _Group(TyperGroup):
        def get_params(self, ctx):
            return bare_flags(super().get_params(ctx))

    class _Command(TyperCommand):
        def get_params(self, ctx):
            return bare_flags(super().get_params(ctx))

        def parse_args(self, ctx, args):
            given = list(args)  # (the parser consumes args)
            try:
                return super().parse_args(ctx, args)
            except Exception as exc:  # click's UsageError (typer vendors click)
                message = getattr(exc, "message", "")
                head = "Got unexpected extra argument(s) ("
                if not (message.startswith(head) and message.endswith(")")):
                    raise
                import os

                # the extra arguments, as the message lists them: all existing files
                extra = message[len(head):-1].split(" ")
                if all(os.path.isfile(a) for a in extra):
                    # after an option given once per file (--reviews): the pattern was its
                    option = _option_before(self, given, extra[0])
                    exc.message = (
                        f"{message}. If the shell expanded a pattern such as data/*.csv into "
                        f"several files, " + (
                            f"give {option} once per file ({option} {extra[0]} {option} "
                            f"...)." if option else
                            "quote it ('data/*.csv') to read them as one table, or give "
                            "their folder."))
                raise

    from typer.models import DefaultPlaceholder

    def default(cls, base) -> bool:
        return cls is None or cls is base or isinstance(cls, DefaultPlaceholder)

    if default(typer_app.info.cls, TyperGroup):
        typer_app.info.cls = _Group
    for info in typer_app.registered_commands:
        if default(info.cls, TyperCommand):
            info.cls = _Command
    for group in typer_app.registered_groups:
        if default(group.cls, TyperGroup):
            group.cls = _Group
        _extra_paths_hint(group.typer_instance)


_extra_paths_hint(app)


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """dataqa's own warnings as one plain line (no source file and line: they are meant
    for the user); other libraries' keep Python's format."""
    if (category is UserWarning or issubclass(category, UserWarning)) and "/dataqa/" in \
            str(filename).replace("\\", "/"):
        from dataqa._cli_utils import without_api_hints

        return f"warning: {without_api_hints(str(message))}\n"
    return _python_format(message, category, filename, lineno, line)


_python_format = warnings.formatwarning


def main() -> None:
    """Console-script entry point."""
    import sys

    from dataqa._cli_utils import PipeSafeStream

    warnings.formatwarning = _format_warning
    # (None when the stream was closed before the start: `dataqa ... >&-`)
    if sys.stdout is not None and not isinstance(sys.stdout, PipeSafeStream):
        sys.stdout = PipeSafeStream(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, PipeSafeStream):
        sys.stderr = PipeSafeStream(sys.stderr)  # `2>&1 | head`: progress bars too
    app()


if __name__ == "__main__":
    main()
