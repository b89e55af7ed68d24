from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone

from leaderboard.rules import ALL_BOARD, VALUE_MAX

# A single game's ceiling; the sum over every game must also fit the `all` board (rules.VALUE_MAX).
MAX_SCORE_CEILING = 1_000_000
# Path segments under /leaderboard/ that a game slug would shadow.
RESERVED_SLUGS = {ALL_BOARD, "games", "scores", "reports", "keys"}


class ScoreOrder(models.TextChoices):
    DESC = "desc", "higher is better"
    ASC = "asc", "lower is better (times)"


class Trust(models.TextChoices):
    OPEN = "open", "open: a player's own score ranks at once"
    VERIFIED = "verified", "verified: only scores from game servers, organizers or moderators rank"


class Game(models.Model):
    slug = models.SlugField(max_length=32, unique=True)
    label = models.CharField(max_length=80)
    max_score = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_SCORE_CEILING)])
    # `order` is an SQL keyword: the column has another name, so raw SQL needs no quoting.
    order = models.CharField(max_length=4, choices=ScoreOrder.choices, default=ScoreOrder.DESC, db_column="ranking")
    trust = models.CharField(max_length=8, choices=Trust.choices, default=Trust.OPEN)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score__gte=1, max_score__lte=MAX_SCORE_CEILING), name="game_max_score_range"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"'{self.slug}' is reserved by the leaderboard URLs."})
        others = Game.objects.exclude(pk=self.pk).aggregate(total=Sum("max_score"))["total"] or 0
        if self.max_score is not None and others + self.max_score > VALUE_MAX:
            raise ValidationError(
                {"max_score": f"The max scores of all games must add up to at most {VALUE_MAX:,} (the `all` board)."}
            )


class ScoreStatus(models.TextChoices):
    RANKED = "ranked"  # on the boards and in the reports
    PENDING = "pending"  # a self-report on a `verified` game, waiting for confirmation
    VOID = "void"  # voided by a moderator: kept for the record, on no board


class ScoreSource(models.TextChoices):
    PLAYER = "player"  # the player's own submission (REST or socket)
    SERVER = "server"  # a game server's batch (GameKey)
    SESSION = "session"  # a session organizer's results
    CONFIRMED = "confirmed"  # a self-report confirmed by a moderator or an organizer


class Score(models.Model):
    """One submission, kept forever: the boards in Redis are rebuilt from the `ranked` rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scores")
    # Covered by the (game, achieved_at) index.
    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="scores", db_index=False)
    value = models.PositiveIntegerField()
    achieved_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=ScoreStatus.choices, default=ScoreStatus.RANKED)
    source = models.CharField(max_length=10, choices=ScoreSource.choices, default=ScoreSource.PLAYER)

    class Meta:
        ordering = ["-achieved_at", "-id"]
        indexes = [
            # Period reports and board rebuilds: a time range, over all games or one.
            models.Index(fields=["achieved_at"], name="score_achieved_idx"),
            models.Index(fields=["game", "achieved_at"], name="score_game_achieved_idx"),
            # The confirmation queue: the few pending rows, oldest first.
            models.Index(fields=["game", "id"], name="score_pending_idx", condition=Q(status=ScoreStatus.PENDING)),
        ]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="score_value_not_negative")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.game_id} {self.value}"


class Period(models.TextChoices):
    """Calendar buckets (UTC) of the report aggregates; `all` has one bucket, starting 0001-01-01."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    ALL = "all"


class ScorePeriod(models.Model):
    """A player's best and last submission in one game over one calendar bucket.

    Kept in the transaction of each score insert (leaderboard.reports.aggregates_add); always equal
    to MAX(value), MAX(achieved_at) of the player's scores in that game and bucket.
    """

    # Derived rows without database foreign keys: checking millions of them at the seeder's
    # COMMIT took minutes. Django still cascades deletes of players and games to them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField()
    best = models.PositiveIntegerField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Also the lookup of a candidate player's rows (reports) and of a player's rows (refresh).
            models.UniqueConstraint(fields=["user", "period", "start", "game"], name="scoreperiod_key"),
        ]
        indexes = [
            # A report's full buckets over every player, and a game's best players in a bucket.
            models.Index(fields=["period", "start", "game", "-best"], name="scoreperiod_bucket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.game_id} {self.period} {self.start} {self.best}"


class PlayerPeriod(models.Model):
    """The sum over games of a player's ScorePeriod bests in one bucket: an upper bound of their
    report total over any range inside the bucket, by which reports find their candidates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    period = models.CharField(max_length=5, choices=Period.choices)
    start = models.DateField()
    total = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "period", "start"], name="playerperiod_key")]
        indexes = [models.Index(fields=["period", "start", "-total"], name="playerperiod_bucket_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period} {self.start} {self.total}"


class Suspension(models.Model):
    """A player kept off a game's boards until `until`: every write path refuses their scores."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="suspensions")
    until = models.DateTimeField()
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Is this player suspended from this game now: the newest `until` of the pair.
        indexes = [models.Index(fields=["game", "user", "-until"], name="suspension_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} off {self.game_id} until {self.until:%Y-%m-%d %H:%M}"


class GameKey(models.Model):
    """A game server's key for one game (SPEC §6): the key itself is shown once, at creation, and
    only its SHA-256 is kept (leaderboard.keys). Revoked keys stay, for the record."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=8, help_text="The first characters of the key, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["game", "-created_at"], name="gamekey_game_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# --- Seasons (SPEC §6 "Seasons"; leaderboard/seasons.py archives them) -----------------------


class SeasonPeriod(models.TextChoices):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Season(models.Model):
    """The final standings of one board over one ended day, week or month (UTC), archived once.

    The unique (period, key, board) row is the archive's exactly-once guard: the archiver inserts
    it first, so a racing worker blocks on the index and then gives up (leaderboard.seasons).
    """

    board = models.CharField(max_length=32)  # a game slug or "all"
    period = models.CharField(max_length=5, choices=SeasonPeriod.choices)
    key = models.CharField(max_length=16)  # rules.PeriodWindow.key, e.g. "w2026-W49"
    starts = models.DateTimeField()
    ends = models.DateTimeField()  # exclusive
    archived_at = models.DateTimeField(default=timezone.now)
    entries = models.PositiveIntegerField(default=0)  # rows kept (at most LEADERBOARD_SEASON_ROWS)
    players = models.PositiveIntegerField(default=0)  # players on the board, kept or not

    class Meta:
        constraints = [
            # Also the tick's lookup: which boards of the windows that just ended are archived.
            models.UniqueConstraint(fields=["period", "key", "board"], name="season_key"),
        ]
        # A board's seasons of one kind, newest first (the list endpoint).
        indexes = [models.Index(fields=["board", "period", "-starts"], name="season_board_idx")]

    def __str__(self) -> str:
        return f"{self.board} {self.key}"


class SeasonEntry(models.Model):
    """One row of an archived board. `player` is the name at archive time; a deleted account
    leaves its row with no user (shown without a name)."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="rows")
    rank = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    player = models.CharField(max_length=150)
    score = models.PositiveIntegerField()
    achieved_at = models.DateTimeField()

    class Meta:
        # Also the index of a season's page of rows and of its winners (rank <= 3).
        constraints = [models.UniqueConstraint(fields=["season", "rank"], name="seasonentry_rank")]

    def __str__(self) -> str:
        return f"{self.season_id} #{self.rank} {self.user_id}"


class SeasonPrize(models.Model):
    """Coins paid to a weekly season's top three: the unique (season, rank) row is the payout's
    exactly-once guard, written in the archive's transaction with the ledger rows."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="prizes")
    rank = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    coins = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["season", "rank"], name="seasonprize_rank")]

    def __str__(self) -> str:
        return f"{self.season_id} #{self.rank} {self.user_id} {self.coins}"
