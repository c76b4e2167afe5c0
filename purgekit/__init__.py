"""purgekit: version-controlled, reviewable erasure of WhatsApp Business On-Premises users."""

__version__ = "0.1.0"

__all__ = ["ErasureFailed", "MessageDeletionReport", "delete_chat", "delete_message", "erase_user", "erase_users"]

_MESSAGE_DELETION = ("MessageDeletionReport", "delete_message")


def __getattr__(name: str):
    # Imported on first use, so `import purgekit` (Alembic's env, the CLI) stays light.
    if name in _MESSAGE_DELETION:
        from purgekit.message_deletion import runner

        return getattr(runner, name)
    if name == "delete_chat":
        from purgekit.chat_deletion.runner import delete_chat

        return delete_chat
    if name in __all__:
        from purgekit import erase

        return getattr(erase, name)
    raise AttributeError(f"module 'purgekit' has no attribute {name!r}")
