"""purgekit: version-controlled, reviewable erasure of WhatsApp Business On-Premises users."""

__version__ = "0.1.0"

__all__ = ["ErasureFailed", "delete_chat", "erase_user", "erase_users"]


def __getattr__(name: str):
    # Imported on first use, so `import purgekit` (Alembic's env, the CLI) stays light.
    if name == "delete_chat":
        from purgekit.chat_deletion.runner import delete_chat

        return delete_chat
    if name in __all__:
        from purgekit import erase

        return getattr(erase, name)
    raise AttributeError(f"module 'purgekit' has no attribute {name!r}")
