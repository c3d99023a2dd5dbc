"""Organizations (tenants) with plans, their dashboard domains, memberships, and OAuth clients."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import (
    AbstractApplication,
    AbstractGrant,
    ApplicationManager,
    ClientSecretField,
    get_application_model,
)
from oauth2_provider.settings import oauth2_settings

from . import application_rules, hashing
from .carried import organization_of
from .conf import organization_model_label
from .hashing import checksum
from .querysets import ApplicationQuerySet, InvalidatingQuerySet
from .scopes.registry import ALL_SCOPES
from .signing import encryption
from .signing.models import SigningKey as SigningKey
from .web_urls import validate_web_url

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .typing import OAuthlibRequest


class Organization(models.Model):  # type: ignore[django-manager-missing]  # swappable FK target
    """A tenant: one PERSCOM-style dashboard with its own plan.

    Swappable through ``PERSCOM_OAUTH_ORGANIZATION_MODEL``; see ``adapter.OrganizationAdapter``.
    """

    class Plan(models.TextChoices):
        BASIC = "basic", _("Basic")
        PRO = "pro", _("Pro")
        ENTERPRISE = "enterprise", _("Enterprise")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    plan = models.CharField(_("plan"), max_length=32, choices=Plan.choices, default=Plan.BASIC)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        swappable = "PERSCOM_OAUTH_ORGANIZATION_MODEL"
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Domain(models.Model):
    """A host name (no port) at which an organization's dashboard answers."""

    organization = models.ForeignKey(
        organization_model_label(),
        on_delete=models.CASCADE,
        related_name="domains",
        verbose_name=_("organization"),
    )
    hostname = models.CharField(_("host name"), max_length=253, unique=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "hostname"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.hostname

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Host names are case-insensitive (RFC 4343); lookups use the lower-cased form.
        self.hostname = self.hostname.strip().lower().rstrip(".")
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A user's membership of an organization."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="perscom_memberships",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        organization_model_label(),
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organization"),
    )
    roles = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="memberships",
        verbose_name=_("roles"),
        help_text=_("Groups whose permissions the user holds in this organization only."),
    )
    is_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_(
            "A staff user who administers this organization manages its OAuth applications, "
            "authorizations, tokens and audit trail in the admin."
        ),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="perscom_oauth_unique_membership")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class FastClientSecretField(ClientSecretField):
    """The base library's field, hashing with ``hashing`` (salted SHA-256) instead of
    PBKDF2: a server-generated secret needs no slow hash (see ``hashing``)."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        secret = getattr(model_instance, self.attname)
        if getattr(model_instance, "hash_client_secret", True) and not hashing.is_hashed(secret):
            setattr(model_instance, self.attname, hashing.hash_secret(secret))
        return str(getattr(model_instance, self.attname))


def signs_id_tokens() -> bool:
    """Whether OpenID Connect is on with signing keys (per organization, or the global RSA
    key): applications then sign ID tokens, RS256 unless set to ES256."""
    return bool(
        oauth2_settings.OIDC_ENABLED and (encryption.managed() or oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    )


#: The asymmetric algorithms, signed with the organization's keys (``signing``).
ORGANIZATION_KEY_ALGORITHMS = ("RS256", "ES256")
ES256_NEEDS_KEYS = _(
    'ES256 needs per-organization signing keys: set PERSCOM_OAUTH["SIGNING_KEY_ENCRYPTION_KEYS"].'
)


class Application(AbstractApplication):
    """An OAuth client, owned by one organization (django-oauth-toolkit's swappable model).

    Set ``OAUTH2_PROVIDER_APPLICATION_MODEL = "perscom_oauth.Application"``.
    """

    #: ``allowed_scopes`` value meaning "every scope, including ones added later".
    ALL_SCOPES = ALL_SCOPES

    ES256_ALGORITHM = "ES256"
    ALGORITHM_TYPES = (
        (AbstractApplication.NO_ALGORITHM, _("No OIDC support")),
        (AbstractApplication.RS256_ALGORITHM, _("RSA with SHA-2 256")),
        (ES256_ALGORITHM, _("ECDSA P-256 with SHA-2 256")),
        (AbstractApplication.HS256_ALGORITHM, _("HMAC with SHA-2 256")),
    )

    class Review(models.TextChoices):
        """Whether an organization administrator let a self-identified client in (``registration``)."""

        APPROVED = "approved", _("Approved")
        PENDING = "pending", _("Awaiting approval")
        BLOCKED = "blocked", _("Blocked")

    # Unique per organization, not globally: a client that identifies itself by its metadata
    # document URL (draft-ietf-oauth-client-id-metadata-document §3) uses the same client_id
    # at every organization, and each organization keeps its own row (its own approval, its own
    # block). Every other client_id stays unique across organizations (Meta.constraints).
    client_id = models.CharField(_("client ID"), max_length=255, default=generate_client_id, db_index=True)
    organization = models.ForeignKey(
        organization_model_label(),
        on_delete=models.CASCADE,
        related_name="oauth_applications",
        verbose_name=_("organization"),
    )
    # The base library's field, with ES256 (RFC 7518 §3.4) beside RS256: both signed with the
    # organization's own keys (``signing``).
    algorithm = models.CharField(
        _("algorithm"),
        max_length=5,
        choices=ALGORITHM_TYPES,
        default=AbstractApplication.NO_ALGORITHM,
        blank=True,
    )
    client_secret: str = FastClientSecretField(
        _("client secret"),
        max_length=255,
        blank=True,
        default=generate_client_secret,
        db_index=True,
        help_text=_("Client secret for authentication"),
    )
    description = models.TextField(_("description"), blank=True)
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("A suspended application can neither get nor use tokens.")
    )
    allowed_scopes = models.TextField(
        _("allowed scopes"),
        default=ALL_SCOPES,
        blank=True,
        help_text=_('Space-separated scopes this client may request, or "*" for all scopes.'),
    )
    # Per-application lifetimes; empty means the OAUTH2_PROVIDER / PERSCOM_OAUTH setting.
    access_token_lifetime = models.PositiveIntegerField(_("access token lifetime (s)"), null=True, blank=True)
    id_token_lifetime = models.PositiveIntegerField(
        _("ID token lifetime (s)"),
        null=True,
        blank=True,
        help_text=_("OpenID Connect ID tokens expire after this long."),
    )
    refresh_token_idle_lifetime = models.PositiveIntegerField(
        _("refresh token idle lifetime (s)"),
        null=True,
        blank=True,
        help_text=_("A refresh token unused for this long expires."),
    )
    refresh_token_absolute_lifetime = models.PositiveIntegerField(
        _("refresh token absolute lifetime (s)"),
        null=True,
        blank=True,
        help_text=_("No refresh keeps a sign-in alive longer than this after the user approved."),
    )
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    # Shown on the consent screen so the user can tell who asks (RFC 7591 §2 client metadata:
    # client_uri, logo_uri, policy_uri, tos_uri). All optional.
    publisher = models.CharField(
        _("publisher"), max_length=255, blank=True, help_text=_("Who makes the application.")
    )
    # http(s) only (web_urls): URLField alone also takes ftp, and a row written past
    # full_clean() is still not rendered unless it is a web URL (the templates' web_url).
    client_uri = models.URLField(_("homepage"), max_length=500, blank=True, validators=[validate_web_url])
    logo_uri = models.URLField(
        _("logo URL"),
        max_length=500,
        blank=True,
        validators=[validate_web_url],
        help_text=_("A square image, shown at 64 x 64 pixels."),
    )
    policy_uri = models.URLField(
        _("privacy policy URL"), max_length=500, blank=True, validators=[validate_web_url]
    )
    tos_uri = models.URLField(
        _("terms of service URL"), max_length=500, blank=True, validators=[validate_web_url]
    )

    review = models.CharField(
        _("review"),
        max_length=16,
        choices=Review.choices,
        default=Review.APPROVED,
        help_text=_(
            "A client that registered itself is usable once approved; a blocked one never is, "
            "and its tokens are revoked."
        ),
    )
    # Client ID Metadata Documents: when the document was last read, and why it last failed.
    metadata_fetched = models.DateTimeField(_("document last fetched"), null=True, blank=True, editable=False)
    metadata_error = models.CharField(_("last fetch error"), max_length=255, blank=True, editable=False)

    objects = ApplicationManager.from_queryset(ApplicationQuerySet)()

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["client_id"],
                condition=~Q(registration_source="cimd"),
                name="perscom_oauth_unique_client_id",
            ),
            models.UniqueConstraint(
                fields=["organization", "client_id"], name="perscom_oauth_unique_client_id_per_organization"
            ),
        ]

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        application: Self = super().from_db(db, field_names, values)
        if "algorithm" in field_names and not application.algorithm and signs_id_tokens():
            # Saved before OpenID Connect was switched on: read as RS256, as save() would store
            # it now (and does at the next save). Otherwise it refused `openid` until someone
            # re-saved it, which the admin cannot do (`algorithm` is read-only there).
            application.algorithm = cls.RS256_ALGORITHM
        return application

    def save(self, *args: Any, **kwargs: Any) -> None:
        if signs_id_tokens() and not self.algorithm:
            # PERSCOM signed ID tokens with HS256 only; RS256 lets relying parties verify them
            # with the organization's JWKS, without sharing the client secret.
            self.algorithm = self.RS256_ALGORITHM
        if self.client_type == self.CLIENT_PUBLIC:
            # A public client cannot keep a secret (RFC 6749 §2.1), so it is given none.
            self.client_secret = ""
            self.hash_client_secret = False
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The rules of an application, for every way one is created or changed through
        ``full_clean()``: the admin's form, ``manage.py create_oauth_application`` and
        ``applications.create_application``. The base library's rules (redirect URIs required
        and well-formed for browser grants, allowed origins, the ID-token algorithm) come first;
        every problem is reported on its field, all at once."""
        problems: dict[str, list[ValidationError]] = {}
        try:
            super().clean()
        except ValidationError as error:
            problems = error.update_error_dict(problems)
        if encryption.managed() and self.algorithm == self.RS256_ALGORITHM:
            # The base library wants its global OIDC_RSA_PRIVATE_KEY for RS256; the
            # organization's own keys sign instead.
            problems.pop("algorithm", None)
        if self.algorithm == self.ES256_ALGORITHM and not encryption.managed():
            problems.setdefault("algorithm", []).append(ValidationError(ES256_NEEDS_KEYS, code="invalid"))
        for field, message in application_rules.violations(self):
            problems.setdefault(field, []).append(ValidationError(message, code="invalid"))
        if problems:
            raise ValidationError(problems)

    def full_clean(
        self,
        exclude: Iterable[str] | None = None,
        validate_unique: bool = True,
        validate_constraints: bool = True,
    ) -> None:
        excluded = set(exclude or ())
        try:
            super().full_clean(excluded, validate_unique, validate_constraints)
        except ValidationError as error:
            if not (excluded and hasattr(error, "error_dict")):
                raise
            # A model form validates the fields it shows (the others are excluded) and refuses
            # an error on any other (Django raises ValueError: a 500). clean() names the field
            # to change, which may be one the form does not show: the client type is fixed
            # after creation, yet a row stored before a rule can break it. Such an error is
            # the application's as a whole.
            problems: dict[str, list[ValidationError]] = {}
            for field, messages in error.error_dict.items():
                problems.setdefault(NON_FIELD_ERRORS if field in excluded else field, []).extend(messages)
            raise ValidationError(problems) from None

    @property
    def jwk_key(self) -> Any:
        """The private key that signs this application's ID tokens now: its organization's key of
        its algorithm (RS256, ES256) with per-organization keys, else the base library's (the
        global RSA key, or the client secret for HS256). ``signing.keys.signer`` gives its kid."""
        if self.algorithm in ORGANIZATION_KEY_ALGORITHMS and encryption.managed():
            from .signing.keys import signer

            return signer(self.organization, self.algorithm).key
        return super().jwk_key

    def get_absolute_url(self) -> str:
        # The base library points at its own management views, which perscom-oauth does not serve.
        from django.urls import reverse

        return reverse("admin:perscom_oauth_application_change", args=[self.pk])

    def is_usable(self, request: OAuthlibRequest) -> bool:
        """django-oauth-toolkit's hook, called for every client lookup and bearer-token check.

        A client is usable only while enabled and approved (``review``: a self-registered client
        awaiting an administrator, or blocked, gets no token), and only on its own organization's
        host: used on another tenant's host it is an unknown client (RFC 6749 §5.2
        ``invalid_client``), and its tokens are unknown tokens (RFC 6750 §3.1 ``invalid_token``).
        A public client is not usable for the grants of confidential ones (``invalid_client`` at
        the token endpoint).
        """
        organization = organization_of(request)
        if not (self.enabled and organization is not None and self.organization_id == organization.pk):
            return False
        if self.review != self.Review.APPROVED:
            return False
        # RFC 6749 §4.4 (and, here, §4.3): only a confidential client may use these grants. A
        # public client has no secret (it is stored as ""), so the base library would find an
        # empty or absent client_secret correct and issue a token to anyone who knows the
        # client ID. clean() refuses such applications; this refuses rows stored before it.
        grant_type = getattr(request, "grant_type", None)
        confidential_only = grant_type in application_rules.CONFIDENTIAL_ONLY_GRANT_TYPES
        return not (confidential_only and self.client_type != self.CLIENT_CONFIDENTIAL)


def kept_link(to: str, verbose_name: StrOrPromise, blank: bool = True) -> models.ForeignKey:
    """A link of an audit entry that outlives its target: deleting the target empties it, the
    entry stays (the trail is append-only)."""
    return models.ForeignKey(
        to, on_delete=models.SET_NULL, null=True, blank=blank, related_name="+", verbose_name=verbose_name
    )


class AuditEvent(models.Model):
    """An append-only record of what happened to an organization's OAuth: who, what, when.

    Written by ``audit.record()`` (which also sends ``signals.audit_event``); never updated.
    Old entries are purged by ``manage.py cleanup_oauth`` after ``AUDIT_RETENTION_DAYS``.
    """

    class Event(models.TextChoices):
        AUTHORIZATION_GRANTED = "authorization_granted", _("Authorization granted")
        AUTHORIZATION_DENIED = "authorization_denied", _("Authorization denied")
        TOKEN_ISSUED = "token_issued", _("Token issued")
        TOKEN_REFRESHED = "token_refreshed", _("Token refreshed")
        REFRESH_TOKEN_REUSED = "refresh_token_reused", _("Refresh token reuse detected")
        CODE_REPLAYED = "code_replayed", _("Authorization code replay detected")
        TOKENS_REVOKED = "tokens_revoked", _("Tokens revoked")
        APPLICATION_CREATED = "application_created", _("Application created")
        SECRET_ROTATED = "secret_rotated", _("Client secret rotated")
        APPLICATION_SUSPENDED = "application_suspended", _("Application suspended")
        APPLICATION_ENABLED = "application_enabled", _("Application enabled")
        PLAN_REFUSED = "plan_refused", _("Refused: plan without OAuth 2.0")
        CLIENT_REGISTERED = "client_registered", _("Client registered itself")
        CLIENT_UPDATED = "client_updated", _("Registered client updated")
        CLIENT_DELETED = "client_deleted", _("Registered client deleted")
        CLIENT_APPROVED = "client_approved", _("Client approved")
        CLIENT_BLOCKED = "client_blocked", _("Client blocked")
        REGISTRATION_REFUSED = "registration_refused", _("Registration refused")
        INITIAL_TOKEN_ISSUED = "initial_token_issued", _("Initial access token issued")

    class Actor(models.TextChoices):
        USER = "user", _("User")
        ADMIN = "admin", _("Administrator")
        CLIENT = "client", _("Client application")
        SYSTEM = "system", _("System")

    created = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    event = models.CharField(_("event"), max_length=32, choices=Event.choices, db_index=True)
    organization = kept_link(organization_model_label(), _("organization"), blank=False)
    actor_type = models.CharField(_("actor"), max_length=16, choices=Actor.choices)
    actor = kept_link(settings.AUTH_USER_MODEL, _("acting user"))
    application = kept_link(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, _("application"))
    # Kept as text too, so the trail still names the client after the application is deleted.
    client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    subject = models.CharField(_("user concerned"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("audit event")
        # "19 audit events" in the admin's counts ("audit trail" read "19 audit trail").
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.created:%Y-%m-%d %H:%M:%S})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)


class Authorization(AuditEvent):
    """The admin index's "Authorizations" entry, which opens the application admin's
    Authorizations page (``admin.authorizations``); never queried. An authorization is no row
    of its own (``perscom_oauth.pages.authorizations``), and the index lists models only. A proxy
    (no table) of a model that is never swapped: proxying ``Application`` would break a host
    whose ``OAUTH2_PROVIDER_APPLICATION_MODEL`` is a subclass of it."""

    class Meta:
        proxy = True
        verbose_name = _("authorization")
        verbose_name_plural = _("authorizations")
        default_permissions = ()  # the application admin's permissions decide (no new scopes)


class AuthorizationCodeUse(models.Model):
    """A redeemed authorization code, remembered so that a replay can revoke what it issued
    (RFC 6749 §4.1.2). Purged with expired tokens by ``cleanup_oauth``."""

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE)
    access_token_checksum = models.CharField(max_length=64)
    # The first refresh token issued from the code: revoking it revokes its rotation family.
    refresh_token_checksum = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"code used {self.created:%Y-%m-%d %H:%M:%S}"


class StoredChecksum(str):
    """A value read back from a ``ChecksumField``: already a checksum, never hashed again."""


class ChecksumField(models.CharField):
    """Keeps only the SHA-256 of the value it is given; lookups hash their value the same way.

    The base library finds a code with ``Grant.objects.get(code=code)``: with this field that
    query compares checksums, so codes are stored like tokens (RFC 9700 §4.14; RFC 6749
    §10.5) without overriding any of the base library's lookups.
    """

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        return None if value is None else StoredChecksum(value)

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        if value is None or isinstance(value, StoredChecksum):
            return value
        return checksum(str(value))


class Grant(AbstractGrant):
    """django-oauth-toolkit's authorization code, stored as a checksum.

    Set ``OAUTH2_PROVIDER_GRANT_MODEL = "perscom_oauth.Grant"`` (check ``perscom_oauth.E012``).
    """

    code = ChecksumField(_("code"), max_length=255, unique=True)

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"
        verbose_name = _("authorization code")
        verbose_name_plural = _("authorization codes")


class Generation(models.Model):
    """The generation of an organization's cached token and host state (``cache.generations``).

    Bumped in the same transaction as every change that could alter whether one of its tokens
    is honoured, or what it may do. Cached entries are valid only under the generation they
    were read in; the cache's copy of this number expires within seconds, so the database
    decides even when the cache was not told (a process that died, a partition, a restart).
    Keyed by the organization's primary key as text, with no foreign key: a deleted
    organization's generation must outlive it (its hosts' cached entries must never read as
    current again), and any primary-key type of a swapped organization model fits.
    """

    organization = models.CharField(_("organization"), max_length=64, primary_key=True)
    value = models.BigIntegerField(_("generation"), default=0)

    class Meta:
        verbose_name = _("cache generation")
        verbose_name_plural = _("cache generations")

    def __str__(self) -> str:
        return f"{self.organization}:{self.value}"


class RegistrationPolicy(models.Model):
    """How clients nobody registered by hand may appear in one organization (``registration``).

    Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): the client's
    ``client_id`` is an https URL whose JSON document the server fetches. Dynamic Client
    Registration (RFC 7591, managed per RFC 7592). Both are off until an administrator turns
    them on; clients that appear either way are capped at ``allowed_scopes``.
    """

    class MetadataDocuments(models.TextChoices):
        OFF = "off", _("Off")
        LISTED = "listed", _("Allowed for the listed domains")
        APPROVAL = "approval", _("Any https client, once an administrator approves it")

    class Registration(models.TextChoices):
        OFF = "off", _("Off")
        INITIAL_TOKEN = "initial_token", _("With an initial access token from an administrator")
        OPEN = "open", _("Open to anyone (throttled)")

    organization = models.OneToOneField(
        organization_model_label(),
        on_delete=models.CASCADE,
        related_name="registration_policy",
        verbose_name=_("organization"),
    )
    metadata_documents = models.CharField(
        _("client ID metadata documents"),
        max_length=16,
        choices=MetadataDocuments.choices,
        default=MetadataDocuments.OFF,
    )
    metadata_document_domains = models.TextField(
        _("allowed document domains"),
        blank=True,
        help_text=_("One per line: example.com for that host only, .example.com for it and its subdomains."),
    )
    dynamic_registration = models.CharField(
        _("dynamic client registration"),
        max_length=16,
        choices=Registration.choices,
        default=Registration.OFF,
    )
    allowed_scopes = models.TextField(
        _("allowed scopes"),
        default="openid profile email",
        blank=True,
        help_text=_("Space-separated: the most a client that registered itself may request."),
    )

    class Meta:
        verbose_name = _("registration policy")
        verbose_name_plural = _("registration policies")

    def __str__(self) -> str:
        return str(_("Registration policy of %(organization)s") % {"organization": self.organization})

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves the policy and narrows the clients that registered themselves to its scopes:
        a tighter cap applies to them at once, not only to clients registered after it."""
        super().save(*args, **kwargs)
        cap = set(self.allowed_scopes.split())
        model = get_application_model()
        registered = model.objects.filter(organization_id=self.organization_id).exclude(
            registration_source=Application.RegistrationSource.MANUAL
        )
        for application in registered.only("pk", "allowed_scopes"):
            kept = " ".join(sorted(set(application.allowed_scopes.split()) & cap))
            if kept != application.allowed_scopes:
                model.objects.filter(pk=application.pk).update(allowed_scopes=kept)


class InitialAccessToken(models.Model):
    """An RFC 7591 §3 initial access token: lets whoever holds it register clients with one
    organization. Issued by an organization administrator in the admin, stored as a checksum
    (shown once), limited in time and uses."""

    organization = models.ForeignKey(
        organization_model_label(),
        on_delete=models.CASCADE,
        related_name="initial_access_tokens",
        verbose_name=_("organization"),
    )
    label = models.CharField(_("label"), max_length=200, help_text=_("Who it is for."))
    token_checksum = models.CharField(max_length=64, unique=True, editable=False)
    expires = models.DateTimeField(_("expires"))
    uses_left = models.PositiveIntegerField(
        _("registrations left"), null=True, blank=True, help_text=_("Empty: any number until it expires.")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = kept_link(settings.AUTH_USER_MODEL, _("issued by"))

    class Meta:
        ordering = ["-created"]
        verbose_name = _("initial access token")
        verbose_name_plural = _("initial access tokens")

    def __str__(self) -> str:
        return self.label
