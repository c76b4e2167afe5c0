"""purgekit: version-controlled, reviewable erasure of WhatsApp Business On-Premises users."""

__version__ = "0.1.0"
