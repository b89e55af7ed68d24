"""Back office for accounts, the coin ledger, social identities and simplejwt's tokens.

The gamer admin is Django's `UserAdmin` (its password-change view and `AdminPasswordChangeForm`)
wired to the same services and refusals as the API (SPEC §2, §7; common.roles):
- nobody acts on another admin: their change page, password page and deletion answer 403;
- admins edit their own profile fields, never their own role, activation or account deletion;
- creating goes through `gamer_create` (starting coins and their ledger row); a role change
  through `gamer_set_role`; (de)activation through `gamer_set_active` (refresh tokens revoked,
  sockets closed on every process); deletion through `gamer_delete`; setting a password through
  `gamer_password_set` (every refresh token revoked); each audited once;
- the password is a read-only hash summary with a link to the password form: typing into the
  change form can't store anything as the password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, ReadOnlyPasswordHashField, UserCreationForm
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from audit.admin_mixins import AuditedAdminMixin
from common.admin import ReadOnlyAdmin
from common.errors import ServiceError
from common.roles import Cap, Role, account_target_allowed, can
from gamers import services
from gamers.models import CoinTransaction, Gamer, SocialAccount
from gamers.rules import clean_username, normalize_email, username_key, username_problem
from gamers.services.staff import gamer_password_set

# Written through plain saves of the row (the services for these fields are the rest).
PROFILE_FIELDS = ("username", "email", "bio", "discord_id")

# The admin whose request is setting a password (the password form is built by UserAdmin's view,
# which passes it the target only). Set for the duration of that view.
_password_actor: ContextVar[Gamer | None] = ContextVar("password_actor", default=None)


@contextmanager
def _acting(actor: Any) -> Iterator[None]:
    token = _password_actor.set(actor)
    try:
        yield
    finally:
        _password_actor.reset(token)


class GamerCreationForm(UserCreationForm):
    class Meta:
        model = Gamer
        fields = ("username", "email", "role")

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class GamerChangeForm(forms.ModelForm):
    # Django's UserChangeForm field: the hash's summary and a link to the password form; disabled,
    # so whatever a request posts under "password" is ignored.
    password = ReadOnlyPasswordHashField(
        label="Password",
        help_text="Raw passwords are not stored. Set a new one with the password form (every "
        "refresh token of the account is then revoked).",
    )

    class Meta:
        model = Gamer
        fields = ("username", "email", "bio", "avatar", "discord_id", "role", "is_active")

    def clean_username(self) -> str:
        username = clean_username(self.cleaned_data["username"])
        problem = username_problem(username)
        if problem:
            raise forms.ValidationError(problem)
        taken = Gamer.objects.filter(username_key=username_key(username)).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class GamerPasswordSetForm(AdminPasswordChangeForm):
    """Django's admin password form; saving goes through `gamer_password_set` (hash, revoke
    every refresh token, audit) instead of a bare `user.save()`."""

    def save(self, commit: bool = True) -> Any:
        actor = _password_actor.get()
        if actor is None:  # only GamerAdmin.user_change_password saves this form
            raise RuntimeError("GamerPasswordSetForm.save() outside the admin's password view")
        password = self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password", True) else None
        saved = gamer_password_set(actor=actor, target_id=self.user.pk, password=password, reason="admin site")
        self.user.password = saved.password  # the view refreshes the session hash from it
        return self.user


@admin.register(Gamer)
class GamerAdmin(AuditedAdminMixin, UserAdmin):
    add_form = GamerCreationForm
    form = GamerChangeForm
    change_password_form = GamerPasswordSetForm
    list_display = ["id", "username", "email", "role", "coins", "joined", "last_seen", "is_active"]
    list_filter = ["role", "is_active", "joined"]
    search_fields = ["username", "email", "discord_id"]
    ordering = ["id"]
    list_per_page = 50
    readonly_fields = ["coins", "email_verified", "joined", "last_seen", "last_login"]
    fieldsets = (
        (None, {"fields": ("username", "email", "email_verified", "password")}),
        ("Profile", {"fields": ("bio", "avatar", "discord_id")}),
        ("Standing", {"fields": ("role", "coins", "is_active", "joined", "last_seen", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "role", "password1", "password2")}),)
    filter_horizontal = ()
    actions = ["make_moderator", "make_gamer", "deactivate", "reactivate"]
    audit_target_type = "gamer"

    # --- who may act on whom -------------------------------------------------------------
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Another admin's page doesn't open at all (nor, through it, their password form).
        return super().has_view_permission(request, obj) and (
            obj is None or account_target_allowed(request.user, obj, on_self=True)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or account_target_allowed(request.user, obj, on_self=True)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # As DELETE /gamers/{id}: never one's own account, never another admin's.
        return super().has_delete_permission(request, obj) and (
            obj is None or account_target_allowed(request.user, obj, on_self=False)
        )

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # `gamer_delete` owns the cascade (ledger rows, tokens, attendances...): those rows'
        # admins are read-only, which must not veto it. What decides is whether the actor may
        # delete each selected account (never self, never another admin).
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        refused = {str(self.opts.verbose_name) for obj in objs if not self.has_delete_permission(request, obj)}
        return deleted, counts, refused, protected

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["role", "is_active"]  # as the API: no admin changes their own role or activation
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        actor = request.user

        class CheckedForm(form):  # type: ignore[valid-type, misc]  # subclasses the form class the admin builds at run time
            """The services' refusals as form errors (the services check again under the row lock)."""

            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean()
                touched = {"role", "is_active"} & set(self.changed_data)
                if touched and not account_target_allowed(actor, obj, on_self=False):
                    raise forms.ValidationError("You can't change your own role or activation, nor another admin's.")
                if "role" in touched and not can(actor, Cap.ROLES_CHANGE):
                    raise forms.ValidationError("Only admins change roles.")
                return data

        return CheckedForm

    # --- writes through the services --------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Gamer, form: Any, change: bool) -> None:
        if not change:
            # New accounts get their starting coins and ledger row through the service.
            created = services.gamer_create(
                username=obj.username, email=obj.email, password=form.cleaned_data.get("password1"), role=obj.role
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        changed = set(form.changed_data)
        actor: Any = request.user
        profile = [name for name in PROFILE_FIELDS if name in changed]
        # What the admin_change row covers; the services audit role and activation themselves.
        request._gamer_plain_changes = [*profile, *(["avatar"] if "avatar" in changed else [])]  # type: ignore[attr-defined]  # read back by change_reason in this request
        if profile:
            obj.save(update_fields=profile)
        if "avatar" in changed:
            self._save_avatar(obj, form.cleaned_data.get("avatar"))
        if "role" in changed:
            services.gamer_set_role(actor=actor, target_id=obj.pk, role=obj.role, reason="admin site")
        if "is_active" in changed:
            services.gamer_set_active(actor=actor, target_id=obj.pk, active=obj.is_active, reason="admin site")

    def _save_avatar(self, obj: Gamer, upload: Any) -> None:
        current = Gamer.objects.get(pk=obj.pk)
        if upload:
            # The API's path: decoded within the size and pixel limits, resized, old file removed.
            services.gamer_update(gamer=current, avatar=upload)
        elif current.avatar:
            name, storage = current.avatar.name, current.avatar.storage
            Gamer.objects.filter(pk=obj.pk).update(avatar="")
            transaction.on_commit(lambda: storage.delete(name))
        obj.avatar = Gamer.objects.only("avatar").get(pk=obj.pk).avatar

    def change_reason(self, request: HttpRequest, obj: Any, message: Any) -> str | None:
        if _password_actor.get() is not None:
            return None  # gamer_password_set wrote `password_set`
        if getattr(request, "_gamer_plain_changes", None) == []:
            return None  # only role/activation changed: role_change / (de|re)activate_gamer rows say it
        return super().change_reason(request, obj, message)

    def deletion_audited_by_service(self, request: HttpRequest, obj: Any) -> bool:
        return True  # gamer_delete writes `delete_gamer`

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with _acting(request.user):
            return super().user_change_password(request, id, form_url)

    def delete_model(self, request: HttpRequest, obj: Gamer) -> None:
        services.gamer_delete(actor=request.user, target_id=obj.pk, reason="admin site")  # type: ignore[arg-type]  # the admin site's users are Gamers (AUTH_USER_MODEL)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for gamer in queryset:
            try:
                services.gamer_delete(actor=request.user, target_id=gamer.pk, reason="admin site")  # type: ignore[arg-type]  # the admin site's users are Gamers (AUTH_USER_MODEL)
            except ServiceError as exc:
                self.message_user(request, f"{gamer.username}: {exc.detail}", messages.ERROR)

    # --- bulk actions (each through its auditing service) ---------------------------------
    def _each(self, request: HttpRequest, queryset: QuerySet[Gamer], act: Any) -> None:
        done = 0
        for gamer in queryset:
            try:
                act(gamer)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{gamer.username}: {exc.detail}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} account(s) updated.", messages.SUCCESS)

    def _set_role(self, request: HttpRequest, queryset: QuerySet[Gamer], role: str) -> None:
        actor: Any = request.user
        self._each(
            request,
            queryset,
            lambda g: services.gamer_set_role(actor=actor, target_id=g.pk, role=role, reason="admin site"),
        )

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Gamer], active: bool) -> None:
        actor: Any = request.user
        self._each(
            request,
            queryset,
            lambda g: services.gamer_set_active(actor=actor, target_id=g.pk, active=active, reason="admin site"),
        )

    @admin.action(description="Make moderator", permissions=["change"])
    def make_moderator(self, request: HttpRequest, queryset: QuerySet[Gamer]) -> None:
        self._set_role(request, queryset, Role.MODERATOR)

    @admin.action(description="Make gamer (remove moderator rights)", permissions=["change"])
    def make_gamer(self, request: HttpRequest, queryset: QuerySet[Gamer]) -> None:
        self._set_role(request, queryset, Role.GAMER)

    @admin.action(description="Deactivate (sign out everywhere, close sockets)", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Gamer]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Reactivate", permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Gamer]) -> None:
        self._set_active(request, queryset, True)


@admin.register(CoinTransaction)
class CoinTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "gamer", "amount", "reason", "ref", "balance_after"]
    list_filter = ["reason", "created_at"]
    search_fields = ["gamer__username", "ref"]
    list_select_related = ["gamer"]
    list_per_page = 50
    date_hierarchy = "created_at"


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    """Google / Discord sign-in identities. Deleting one unlinks it (the account stays)."""

    list_display = ["id", "provider", "uid", "user", "email", "created_at", "last_login_at"]
    list_filter = ["provider", "created_at"]
    search_fields = ["uid", "email", "user__username"]
    list_select_related = ["user"]
    list_per_page = 50
    readonly_fields = ["provider", "uid", "user", "email", "created_at", "last_login_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- simplejwt's token tables: superusers (the admin role) only, read-only ------------------


class SuperuserReadOnlyAdmin(ReadOnlyAdmin):
    """Visible to superusers (in GameConnect: the admin role) only; never editable, and never
    showing a token itself (a refresh token read here would sign its owner in)."""

    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


class OutstandingTokenAdmin(SuperuserReadOnlyAdmin):
    list_display = ["jti", "user", "created_at", "expires_at"]
    search_fields = ["=user__id", "user__username", "=jti"]
    list_select_related = ["user"]
    ordering = ["-created_at"]
    list_per_page = 50
    fields = ["jti", "user", "created_at", "expires_at"]  # not `token`


class BlacklistedTokenAdmin(SuperuserReadOnlyAdmin):
    list_display = ["token_jti", "token_user", "token_expires_at", "blacklisted_at"]
    search_fields = ["=token__user__id", "token__user__username", "=token__jti"]
    list_select_related = ["token__user"]
    ordering = ["-blacklisted_at"]
    list_per_page = 50
    fields = ("token_jti", "token_user", "token_expires_at", "blacklisted_at")
    readonly_fields = fields

    @admin.display(description="jti", ordering="token__jti")
    def token_jti(self, obj: BlacklistedToken) -> str:
        return obj.token.jti

    @admin.display(description="user", ordering="token__user")
    def token_user(self, obj: BlacklistedToken) -> Any:
        return obj.token.user

    @admin.display(description="expires at", ordering="token__expires_at")
    def token_expires_at(self, obj: BlacklistedToken) -> Any:
        return obj.token.expires_at


# simplejwt's own admin classes (registered by its app, listed before ours in INSTALLED_APPS)
# show the tokens themselves and let any staff member with the model permission in: replaced.
for _model, _model_admin in ((OutstandingToken, OutstandingTokenAdmin), (BlacklistedToken, BlacklistedTokenAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)
