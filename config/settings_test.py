"""Test settings: the real settings with a fast password hasher (Argon2 is tested on its own)."""

from config.settings import *  # noqa: F403
from config.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PRODUCTION_HASHERS = PRODUCTION_PASSWORD_HASHERS
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
