"""The base every tap here shares: its distribution, the buffered writer and STATE writer, one-line
setting errors, the garbage collector kept off the start-up objects."""

from __future__ import annotations

import gc
import typing as t

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError

from workforce_taps.output import BufferedMsgSpecWriter, EncodedStateWriter


class WorkforceTap(Tap):
    package_name = "workforce-taps"  # the distribution that carries the taps, for --version
    message_writer_class = BufferedMsgSpecWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_writer = EncodedStateWriter(self.message_writer)

    @classmethod
    def invoke(cls, **options: t.Any) -> None:
        """The command line run, with what exists before it (modules and their objects, alive
        until the process ends) moved out of the garbage collector's sight: the collections
        that a sync's millions of short-lived record objects trigger would otherwise walk all
        of it again each time (a tenth of a large sync's CPU time, measured)."""
        gc.freeze()
        super().invoke(**options)

    def setting_errors(self) -> list[str]:
        """Checks the JSON schema cannot express; each message names its setting."""
        return []

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The JSON schema's checks, then :meth:`setting_errors`: one line per bad setting,
        each naming it (the SDK adds one summary line of its own)."""
        try:
            errors = super()._validate_config(raise_errors=True)  # False would log a warning too
        except ConfigValidationError as error:
            errors = list(error.errors)
        errors = errors or self.setting_errors()
        if errors and raise_errors:
            raise ConfigValidationError(errors[0], errors=errors)
        return errors
