"""Grids (社会治理网格), their buildings, and the party-mass service stations that serve them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from organization.models import OrgUnit, Person, UnitKind

from .search import building_search_key, building_sort_key

LAT_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LNG_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]


class Grid(TimeStampedModel):
    SCOPE_PATH = "unit"

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_grids",
        limit_choices_to={"kind": UnitKind.COMMUNITY},
    )
    # "支部建在网格上": one grid, one grid branch (or party group), enforced by the database.
    unit = models.OneToOneField(
        OrgUnit,
        verbose_name=_("grid party branch or group"),
        on_delete=models.PROTECT,
        related_name="grid",
        limit_choices_to={"kind": UnitKind.GRID},
    )
    leader = models.ForeignKey(
        Person,
        verbose_name=_("grid leader (网格长)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_grids",
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    boundary = models.JSONField(_("boundary (GeoJSON polygon)"), null=True, blank=True)
    center_lat = models.FloatField(
        _("centre latitude"), null=True, blank=True, validators=LAT_VALIDATORS
    )
    center_lng = models.FloatField(
        _("centre longitude"), null=True, blank=True, validators=LNG_VALIDATORS
    )

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def leader_user(self):
        """The login of the grid leader (网格长), if they have one."""
        return self.leader.user if self.leader_id else None

    def clean(self):
        super().clean()
        if self.unit_id and self.unit.kind != UnitKind.GRID:
            raise ValidationError({"unit": _("Choose a grid party branch or grid party group.")})
        if self.community_id and self.community.kind != UnitKind.COMMUNITY:
            raise ValidationError({"community": _("Choose a community.")})
        if self.unit_id and self.community_id and self.unit.parent_id != self.community_id:
            raise ValidationError(
                {"unit": _("The grid's party branch must belong to the grid's community.")}
            )
        if self.boundary is not None:
            from .geo import polygon_problem

            if polygon_problem(self.boundary):
                raise ValidationError(
                    {
                        "boundary": _(
                            "Give the boundary as a GeoJSON Polygon: closed rings of "
                            "[longitude, latitude] points."
                        )
                    }
                )


class Building(TimeStampedModel):
    SCOPE_PATH = "grid__unit"

    name = models.CharField(_("name or number"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="buildings"
    )
    unit = models.OneToOneField(
        OrgUnit,
        verbose_name=_("building party group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="building",
        limit_choices_to={"kind": UnitKind.BUILDING},
    )
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lng = models.FloatField(_("longitude"), validators=LNG_VALIDATORS)
    households = models.PositiveIntegerField(_("households"), default=0)
    # Derived from the address and the community's name by grids.search (see refresh_search_keys);
    # on PostgreSQL a trigram GIN index (migration 0003) serves the residents' building search.
    search_key = models.CharField(_("search key"), max_length=400, blank=True, editable=False)
    sort_key = models.CharField(_("sort key"), max_length=400, blank=True, editable=False)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid_id", "name"]
        indexes = [
            models.Index(fields=["address"], name="building_address_idx"),
            # The buildings within 250 m of one (the "me too" look-up, resident_requests'
            # similar_open_requests): a band of latitude, then longitude, read in the index.
            models.Index(fields=["lat", "lng"], name="building_lat_lng_idx"),
        ]

    def __str__(self):
        return self.address

    def refresh_search_keys(self, community_name: str | None = None) -> None:
        """Derive the search and sort keys from the address (and the grid's community name,
        read here unless given: bulk loads pass it)."""
        if community_name is None:
            grid = self.grid if Building.grid.is_cached(self) else None
            if grid is not None and Grid.community.is_cached(grid):
                community_name = grid.community.name
            else:
                community_name = (
                    Grid.objects.filter(pk=self.grid_id)
                    .values_list("community__name", flat=True)
                    .first()
                )
        self.search_key = building_search_key(self.address, community_name or "")
        self.sort_key = building_sort_key(self.address)

    def save(self, *args, **kwargs):
        # Every path that writes a building one by one (services, the admin and its grid inline,
        # fixtures) keeps the keys in step with the address: a building the search cannot find
        # is a resident who cannot report a problem. Bulk loads call refresh_search_keys.
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.refresh_search_keys()
        elif {"address", "grid"} & set(update_fields):
            self.refresh_search_keys()
            kwargs["update_fields"] = {*update_fields, "search_key", "sort_key"}
        super().save(*args, **kwargs)


class StationLevel(models.TextChoices):
    DISTRICT = "district", _("District party-mass service centre")
    STREET = "street", _("Street party-mass service centre")
    COMMUNITY = "community", _("Community party-mass service centre (社区党群服务中心)")
    GRID = "grid", _("Grid party-mass service station (网格党群服务站)")


class StationService(models.Model):
    """A service a station offers (a tag residents filter by)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("name in English"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("station service")
        verbose_name_plural = _("station services")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The name in the reader's language (services are data, not msgids)."""
        if self.name_en and get_language() == "en":
            return self.name_en
        return self.name


class ServiceStation(TimeStampedModel):
    SCOPE_PATH = "owner_unit"

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=StationLevel.choices, db_index=True)
    owner_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="stations"
    )
    grids_served = models.ManyToManyField(
        Grid, verbose_name=_("grids served"), blank=True, related_name="stations"
    )
    address = models.CharField(_("address"), max_length=200)
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lng = models.FloatField(_("longitude"), validators=LNG_VALIDATORS)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    services = models.ManyToManyField(
        StationService, verbose_name=_("services offered"), blank=True, related_name="stations"
    )
    is_demonstration = models.BooleanField(_("demonstration centre"), default=False)
    upgraded_year = models.PositiveSmallIntegerField(_("year last upgraded"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True, db_index=True)
    description = models.TextField(
        _("what residents find there"),
        blank=True,
        help_text=_("A few plain sentences shown on the station's public page."),
    )

    class Meta:
        verbose_name = _("party-mass service station")
        verbose_name_plural = _("party-mass service stations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(upgraded_year__isnull=True)
                | Q(upgraded_year__gte=1949, upgraded_year__lte=2100),
                name="station_upgraded_year_plausible",
                violation_error_message=_("Enter the year of the last upgrade, e.g. 2022."),
            )
        ]

    def __str__(self):
        return self.name

    # The owning unit's level for each station level.
    OWNER_KIND = {
        StationLevel.DISTRICT: UnitKind.DISTRICT,
        StationLevel.STREET: UnitKind.STREET,
        StationLevel.COMMUNITY: UnitKind.COMMUNITY,
        StationLevel.GRID: UnitKind.GRID,
    }

    def clean(self):
        super().clean()
        if self.level and self.owner_unit_id:
            expected = self.OWNER_KIND[self.level]
            if self.owner_unit.kind != expected:
                raise ValidationError(
                    {
                        "owner_unit": _("A %(level)s belongs to a %(kind)s.")
                        % {"level": self.get_level_display(), "kind": UnitKind(expected).label}
                    }
                )


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One opening period on one weekday. `closes` earlier than `opens` runs past midnight into
    the next day (a night service 20:00–02:00)."""

    station = models.ForeignKey(
        ServiceStation, verbose_name=_("station"), on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "weekday", "opens"],
                name="hours_unique_start",
                violation_error_message=_("This station already opens at that time that day."),
            ),
            models.CheckConstraint(
                condition=~Q(opens=models.F("closes")),
                name="hours_not_empty",
                violation_error_message=_("Opening and closing times must differ."),
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"
