"""Exit codes and errors of the promotion gate."""

EXIT_PROMOTED = 0
EXIT_REJECTED = 1
EXIT_ERROR = 2


class GateError(Exception):
    """Any failure that should end the gate with EXIT_ERROR."""


class ConfigError(GateError):
    """Missing or invalid configuration."""


class MlflowApiError(GateError):
    """MLflow unreachable or answered with an error."""

    def __init__(self, message, status=None, error_code=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
