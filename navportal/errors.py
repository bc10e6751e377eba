class PortalError(Exception):
    """A refusal a user can understand: the message is translated and shown on the page as it is.

    Services raise it when a rule refuses an action (wrong state, past the deadline, a stale copy);
    views turn it into a message and keep the user's input on the page.
    """

    def __init__(self, message, *, code="refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)
