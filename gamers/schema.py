"""Tell drf-spectacular that our JWT authentication is simplejwt's bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class GamerJWTScheme(SimpleJWTScheme):
    target_class = "gamers.authentication.JWTAuthentication"
