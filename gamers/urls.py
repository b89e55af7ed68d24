from django.urls import path, re_path

from gamers import api, coins_api, notifications_api

urlpatterns = [
    path("auth/register", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/availability/<str:username>", api.AvailabilityApi.as_view(), name="auth-availability"),
    path("auth/token", api.TokenApi.as_view(), name="auth-token"),
    path("auth/token/refresh", api.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", api.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me", api.MeApi.as_view(), name="auth-me"),
    re_path(r"^auth/social/(?P<provider>google|discord)$", api.SocialLoginApi.as_view(), name="auth-social"),
    path("auth/discord/link-code", api.DiscordLinkCodeApi.as_view(), name="auth-discord-link-code"),
    path("auth/email/verify", api.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path("auth/email/verify/resend", api.EmailVerifyResendApi.as_view(), name="auth-email-verify-resend"),
    path("auth/password/change", api.PasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/password/reset", api.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("auth/password/reset/confirm", api.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("auth/logout-all", api.LogoutAllApi.as_view(), name="auth-logout-all"),
    path("gamers", api.GamerListApi.as_view(), name="gamer-list"),
    path("gamers/<id:pk>", api.GamerDetailApi.as_view(), name="gamer-detail"),
    path("gamers/<id:pk>/role", api.GamerRoleApi.as_view(), name="gamer-role"),
    path("me/coins", coins_api.MyCoinsApi.as_view(), name="my-coins"),
    path("me/notifications", notifications_api.MyNotificationsApi.as_view(), name="my-notifications"),
    path("me/notifications/read", notifications_api.MyNotificationsReadApi.as_view(), name="my-notifications-read"),
]
