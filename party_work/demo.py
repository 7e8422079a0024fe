"""Demo party work with the district's published figures (../shared/DOMAIN.md): 128 grid volunteer
teams, 6,100+ posts claimed in grids, 740+ central households in contact with 70,000+
households, 700+ deputies, 200+ service projects a year, 18 vanguard models in the first quarter
(of 2022, the report's year), and monthly 温暖20 sessions around today so the public page has
coming ones. Everything is written with bulk_create.
"""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.figures import PARTY_WORK
from grids.models import Building, Grid, ServiceStation, StationLevel
from organization.demo import _people_names, _phones
from organization.models import (
    PARTY_MEMBER_STATUSES,
    OrgUnit,
    Person,
    Position,
    Role,
    UnitKind,
)

from .models import (
    RECEPTION_DAY,
    Activity,
    CoBuildingKind,
    CoBuildingUnit,
    DeputyKind,
    DeputyLevel,
    HouseholdLink,
    HouseholdVisit,
    PostClaim,
    PostKind,
    ProjectStatus,
    ReceptionBooking,
    ReceptionSession,
    Representative,
    ServiceProject,
    SessionStatus,
    VanguardAward,
    VolunteerTeam,
)

# The published figures (core.figures) as the demo builds them: exact ones as published, and a
# count a little above the bound of one published as "6,100+".
DEMO_FIGURES = {
    "teams": PARTY_WORK["teams"].value,
    "claimed_posts": 6137,  # 6,100+
    "households_in_contact": 70_480,  # 70,000+, kept by the 746 central households
    "deputies": 712,  # 700+
    "projects_per_year": 214,  # 200+
    "vanguard_models_2022_q1": PARTY_WORK["vanguard_models_2022_q1"].value,
}
REPORT_DAY = datetime.date(2022, 4, 29)

TEAM_SERVICES = [
    "助老帮扶",
    "便民维修",
    "环境整治",
    "邻里调解",
    "政策宣传",
    "文明劝导",
    "义诊",
    "四点半课堂",
]
TEAM_SUFFIXES = ["红帆志愿服务队", "先锋志愿服务队", "红管家服务队", "邻里守望志愿队"]
POST_WEIGHTS = [
    (PostKind.ENVIRONMENT, 22),
    (PostKind.SAFETY, 18),
    (PostKind.ELDERLY, 16),
    (PostKind.MEDIATION, 14),
    (PostKind.CIVILITY, 12),
    (PostKind.POLICY, 10),
    (PostKind.OTHER, 8),
]
DUTIES = {
    PostKind.BUILDING_LEADER: "联系本楼栋住户，收集诉求",
    PostKind.ENVIRONMENT: "每周巡查楼道和绿化，发现问题随手拍",
    PostKind.MEDIATION: "调解邻里纠纷",
    PostKind.SAFETY: "消防通道、电动车充电安全巡查",
    PostKind.ELDERLY: "结对独居老人，每周问候",
    PostKind.CIVILITY: "垃圾分类和文明养犬劝导",
    PostKind.POLICY: "宣传医保、养老等政策",
    PostKind.OTHER: "社区临时任务",
}
ACTIVITY_TITLES = [
    "楼道清理",
    "义诊进小区",
    "垃圾分类宣传",
    "助老理发",
    "家电义务维修",
    "防诈骗宣传",
    "绿地认养",
    "关爱留守儿童",
]
PROJECT_TITLES = [
    "老旧小区加装电梯协调", "社区食堂助老餐", "四点半课堂", "楼道微改造", "口袋公园建设",
    "电动车充电棚", "独居老人一键呼叫", "健康小屋", "邻里议事厅", "红色物业共建",
    "非机动车停车整治", "智慧安防进小区", "爱心理发室", "小区道路修补", "儿童友好空间",
]  # fmt: skip
CO_BUILDERS = [
    ("镇江供电公司京口营业部", CoBuildingKind.COMPANY),
    ("江苏科技大学", CoBuildingKind.SCHOOL),
    ("京口区人民医院", CoBuildingKind.HOSPITAL),
    ("区税务局第一分局", CoBuildingKind.AGENCY),
    ("镇江水务集团", CoBuildingKind.COMPANY),
    ("京口实验小学", CoBuildingKind.SCHOOL),
    ("社区社会组织联合会", CoBuildingKind.SOCIAL),
    ("中国银行京口支行", CoBuildingKind.COMPANY),
]
DEPUTY_KINDS = [
    (DeputyKind.PARTY_CONGRESS, 0.3),
    (DeputyKind.PEOPLES_CONGRESS, 0.4),
    (DeputyKind.CPPCC, 0.3),
]
DEPUTY_LEVELS = [
    (DeputyLevel.DISTRICT, 0.55),
    (DeputyLevel.CITY, 0.3),
    (DeputyLevel.STREET, 0.1),
    (DeputyLevel.PROVINCIAL, 0.05),
]


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _month_20th(today: datetime.date, offset: int) -> datetime.date:
    index = today.year * 12 + today.month - 1 + offset
    return datetime.date(index // 12, index % 12 + 1, RECEPTION_DAY)


def load(ctx):
    if VolunteerTeam.objects.exists():
        ctx.progress("party work already present: nothing changed")
        return
    grids = list(Grid.objects.select_related("unit").order_by("code"))
    if not grids:
        ctx.progress("no grids: party work skipped")
        return
    rng = ctx.rng("party_work")
    today = timezone.localdate()

    members_by_grid_unit: dict[int, list[int]] = {}
    for pk, unit_id in (
        Person.objects.filter(
            political_status__in=PARTY_MEMBER_STATUSES, membership_unit__kind=UnitKind.GRID
        )
        .order_by("pk")
        .values_list("pk", "membership_unit_id")
    ):
        members_by_grid_unit.setdefault(unit_id, []).append(pk)

    teams = _teams(ctx, rng, grids, members_by_grid_unit)
    _activities(ctx, rng, teams, today)
    _claims(ctx, rng, grids, members_by_grid_unit)
    _households(ctx, rng, today)
    communities = list(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code"))
    _deputies_and_sessions(ctx, rng, communities, today)
    _projects_and_partners(ctx, rng, communities, today)
    _awards(ctx, rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE party_work_householdlink; ANALYZE party_work_householdvisit")


def _teams(ctx, rng, grids, members_by_grid_unit):
    chosen = sorted(
        rng.sample(
            [g for g in grids if len(members_by_grid_unit.get(g.unit_id, [])) >= 8],
            DEMO_FIGURES["teams"],
        ),
        key=lambda g: g.code,
    )
    teams = []
    for grid in chosen:
        short = grid.name.split("第")[0]
        teams.append(
            VolunteerTeam(
                name=f"{short}{grid.code[-2:]}网格{rng.choice(TEAM_SUFFIXES)}",
                grid=grid,
                leader_id=members_by_grid_unit[grid.unit_id][0],
                services=", ".join(rng.sample(TEAM_SERVICES, rng.randint(2, 4))),
            )
        )
    VolunteerTeam.objects.bulk_create(teams)
    Membership = VolunteerTeam.members.through
    rows = []
    for team in teams:
        pool = members_by_grid_unit[team.grid.unit_id]
        team.member_ids = rng.sample(pool, min(len(pool), rng.randint(8, 16)))
        if team.leader_id not in team.member_ids:
            team.member_ids[0] = team.leader_id
        rows += [Membership(volunteerteam_id=team.pk, person_id=p) for p in team.member_ids]
    Membership.objects.bulk_create(rows, batch_size=2000)
    ctx.progress(f"{len(teams)} volunteer teams with {len(rows)} members")
    return teams


def _activities(ctx, rng, teams, today):
    activities, pending = [], []
    for team in teams:
        for months_ago in range(12):
            for _ in range(rng.randint(1, 3)):
                day = today - datetime.timedelta(days=30 * months_ago + rng.randint(0, 29))
                activity = Activity(
                    team=team,
                    title=rng.choice(ACTIVITY_TITLES),
                    date=day,
                    place=f"{team.grid.name.split('第')[0]}社区广场",
                    hours=Decimal(rng.choice(["1.0", "1.5", "2.0", "2.5", "3.0"])),
                )
                activities.append(activity)
                pending.append(
                    (activity, rng.sample(team.member_ids, rng.randint(3, len(team.member_ids))))
                )
    Activity.objects.bulk_create(activities, batch_size=2000)
    Participation = Activity.participants.through
    rows = [
        Participation(activity_id=activity.pk, person_id=p)
        for activity, people in pending
        for p in people
    ]
    Participation.objects.bulk_create(rows, batch_size=5000)
    ctx.progress(f"{len(activities)} volunteer activities, {len(rows)} participations")


def _claims(ctx, rng, grids, members_by_grid_unit):
    claims = []
    start = REPORT_DAY - datetime.timedelta(days=60)
    first_building = {}
    for grid in grids:
        for i, person_id in enumerate(members_by_grid_unit.get(grid.unit_id, [])):
            # The first few members of a grid are its party-member building leaders.
            post = PostKind.BUILDING_LEADER if i < 3 else _weighted(rng, POST_WEIGHTS)
            first_building.setdefault(grid.pk, post)
            claims.append(
                PostClaim(
                    person_id=person_id,
                    grid=grid,
                    post=post,
                    duty=DUTIES[post],
                    start_date=start + datetime.timedelta(days=rng.randint(0, 60)),
                )
            )
    # Some members hold a second duty, up to the published 6,100+.
    taken = {(c.person_id, c.post) for c in claims}
    singles = [c for c in claims if c.post != PostKind.BUILDING_LEADER]
    while len(claims) < DEMO_FIGURES["claimed_posts"]:
        base = rng.choice(singles)
        post = _weighted(rng, POST_WEIGHTS)
        if (base.person_id, post) in taken:
            continue
        taken.add((base.person_id, post))
        claims.append(
            PostClaim(
                person_id=base.person_id,
                grid=base.grid,
                post=post,
                duty=DUTIES[post],
                start_date=base.start_date,
            )
        )
    PostClaim.objects.bulk_create(claims[: DEMO_FIGURES["claimed_posts"]], batch_size=2000)
    ctx.progress(f"{min(len(claims), DEMO_FIGURES['claimed_posts'])} claimed posts")


def _households(ctx, rng, today):
    households = list(
        OrgUnit.objects.filter(kind=UnitKind.HOUSEHOLD)
        .order_by("code")
        .values_list("pk", "parent_id")
    )
    heads = dict(
        Position.objects.filter(
            role=Role.HOUSEHOLD_HEAD, unit__kind=UnitKind.HOUSEHOLD
        ).values_list("unit_id", "person_id")
    )
    buildings_by_group = dict(
        Building.objects.filter(unit__isnull=False).values_list("unit_id", "pk")
    )
    building_grid = dict(Building.objects.values_list("pk", "grid_id"))
    buildings_by_grid: dict[int, list[tuple[int, str]]] = {}
    for pk, grid_id, address in Building.objects.order_by("pk").values_list(
        "pk", "grid_id", "address"
    ):
        buildings_by_grid.setdefault(grid_id, []).append((pk, address))
    group_grid = dict(
        OrgUnit.objects.filter(kind=UnitKind.BUILDING).values_list("pk", "parent__grid__pk")
    )
    total = DEMO_FIGURES["households_in_contact"]
    per, extra = divmod(total, len(households))
    names = _people_names(rng, 4000)
    phones = _phones(rng, 4000)
    now = timezone.now()
    link_rows, last_visits = [], []
    for index, (household_id, group_id) in enumerate(households):
        building_id = buildings_by_group.get(group_id)
        grid_id = building_grid.get(building_id) or group_grid.get(group_id)
        nearby = buildings_by_grid.get(grid_id) or [(None, "京口区")]
        for n in range(per + (1 if index < extra else 0)):
            b_id, b_address = rng.choice(nearby)
            days = rng.randint(0, 89) if rng.random() < 0.95 else rng.randint(90, 200)
            never = rng.random() < 0.01
            last = None if never else today - datetime.timedelta(days=days)
            address = f"{b_address}{rng.randint(1, 4)}单元{rng.randint(1, 7)}0{rng.randint(1, 4)}室"
            link_rows.append(
                (
                    household_id,
                    b_id,
                    address,
                    names[(index * 97 + n) % len(names)],
                    phones[(index * 89 + n) % len(phones)],
                    last,
                    True,
                    now,
                    now,
                )
            )
            last_visits.append((household_id, last))
    # 70,000 rows: plain executemany, since building model instances costs ten times more.
    first_id = (HouseholdLink.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    _insert(
        HouseholdLink,
        ["central_household_id", "building_id", "address", "contact_name", "contact_phone",
         "last_visit", "active", "created_at", "updated_at"],
        link_rows,
    )  # fmt: skip
    link_ids = list(
        HouseholdLink.objects.filter(pk__gte=first_id).order_by("pk").values_list("pk", flat=True)
    )
    visit_rows = [
        (link_id, last, heads.get(household_id), "入户走访，了解需求", now)
        for link_id, (household_id, last) in zip(link_ids, last_visits, strict=True)
        if last
    ]
    _insert(
        HouseholdVisit, ["link_id", "visited_on", "visitor_id", "note", "created_at"], visit_rows
    )
    ctx.progress(
        f"{len(households)} central households in contact with {len(link_rows)} households, "
        f"{len(visit_rows)} visits"
    )


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """INSERT many rows without model instances: executemany on SQLite (fast there), multi-row
    VALUES on PostgreSQL (psycopg2's executemany sends one statement per row)."""
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608
        quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    )
    one = "({})".format(", ".join(["%s"] * len(columns)))
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for i in range(0, len(rows), 5000):
                cursor.executemany(head + one, rows[i : i + 5000])
            return
        for i in range(0, len(rows), 1000):
            batch = rows[i : i + 1000]
            cursor.execute(head + ", ".join([one] * len(batch)), [v for row in batch for v in row])


def _deputies_and_sessions(ctx, rng, communities, today):
    names = _people_names(rng, DEMO_FIGURES["deputies"])
    deputies = []
    for i in range(DEMO_FIGURES["deputies"]):
        community = communities[i % len(communities)]
        deputies.append(
            Representative(
                name=names[i],
                kind=_weighted(rng, DEPUTY_KINDS),
                level=_weighted(rng, DEPUTY_LEVELS),
                community=community,
                workplace=rng.choice(
                    [
                        "区人民医院",
                        "京口实验小学",
                        "社区居委会",
                        "镇江供电公司",
                        "个体工商户",
                        "区法院",
                    ]
                ),
            )
        )
    Representative.objects.bulk_create(deputies, batch_size=1000)
    by_community: dict[int, list[Representative]] = {}
    for deputy in deputies:
        by_community.setdefault(deputy.community_id, []).append(deputy)
    centres = dict(
        ServiceStation.objects.filter(level=StationLevel.COMMUNITY).values_list(
            "owner_unit_id", "pk"
        )
    )
    sessions = []
    for community in communities:
        short = community.name.replace("社区党委", "").replace("社区党总支", "")
        for offset in range(-6, 3):
            day = _month_20th(today, offset)
            held = day < today
            sessions.append(
                ReceptionSession(
                    community=community,
                    date=day,
                    place=f"{short}社区代表委员工作室",
                    station_id=centres.get(community.pk),
                    capacity=12,
                    status=SessionStatus.HELD if held else SessionStatus.SCHEDULED,
                    summary="居民反映停车难、加装电梯等问题，已转交社区跟进。" if held else "",
                )
            )
    ReceptionSession.objects.bulk_create(sessions, batch_size=1000)
    OnDuty = ReceptionSession.deputies.through
    duty_rows, bookings = [], []
    booking_names = _people_names(rng, 3000)
    booking_phones = _phones(rng, 3000)
    topics = [
        "小区停车难",
        "楼道灯坏了",
        "想了解加装电梯政策",
        "噪音扰民",
        "老年助餐",
        "雨污管网堵塞",
    ]
    n = 0
    for session in sessions:
        for deputy in rng.sample(by_community[session.community_id], 3):
            duty_rows.append(OnDuty(receptionsession_id=session.pk, representative_id=deputy.pk))
        count = rng.randint(4, 10) if session.status == SessionStatus.HELD else rng.randint(0, 5)
        for _ in range(count):
            bookings.append(
                ReceptionBooking(
                    session_id=session.pk,
                    name=booking_names[n % 3000],
                    phone=booking_phones[n % 3000],
                    topic=rng.choice(topics),
                )
            )
            n += 1
    OnDuty.objects.bulk_create(duty_rows, batch_size=2000)
    ReceptionBooking.objects.bulk_create(bookings, batch_size=2000)
    ctx.progress(
        f"{len(deputies)} deputies, {len(sessions)} reception sessions, {len(bookings)} bookings"
    )


def _projects_and_partners(ctx, rng, communities, today):
    projects = []
    for year in range(REPORT_DAY.year, today.year + 1):
        for i in range(DEMO_FIGURES["projects_per_year"]):
            community = communities[i % len(communities)]
            if year < today.year:
                status = ProjectStatus.COMPLETED
            else:
                status = rng.choice(list(ProjectStatus))
            projects.append(
                ServiceProject(
                    community=community,
                    year=year,
                    title=f"{rng.choice(PROJECT_TITLES)}（{i // len(communities) + 1}）",
                    status=status,
                    beneficiaries=rng.randint(50, 2000),
                )
            )
    ServiceProject.objects.bulk_create(projects, batch_size=2000)
    streets = list(OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code"))
    partners = []
    for street in streets:
        for name, kind in CO_BUILDERS:
            partners.append(
                CoBuildingUnit(
                    name=f"{name}（{street.name[:3]}）",
                    kind=kind,
                    street=street,
                    commitments="八共八联：共建阵地、共育人才、共办实事",
                )
            )
    CoBuildingUnit.objects.bulk_create(partners)
    Pair = CoBuildingUnit.communities.through
    by_street: dict[int, list[OrgUnit]] = {}
    for community in communities:
        by_street.setdefault(community.parent_id, []).append(community)
    pairs = [
        Pair(cobuildingunit_id=p.pk, orgunit_id=c.pk)
        for p in partners
        for c in rng.sample(by_street[p.street_id], min(3, len(by_street[p.street_id])))
    ]
    Pair.objects.bulk_create(pairs)
    ctx.progress(f"{len(projects)} service projects, {len(partners)} co-building units")


def _awards(ctx, rng):
    awards = []
    for street in OrgUnit.objects.filter(kind=UnitKind.STREET).order_by("code"):
        members = list(
            Person.objects.filter(
                political_status__in=PARTY_MEMBER_STATUSES,
                membership_unit__kind=UnitKind.GRID,
                membership_unit__tree_id=street.tree_id,
                membership_unit__lft__gt=street.lft,
                membership_unit__rght__lt=street.rght,
            )
            .order_by("pk")
            .values_list("pk", "membership_unit_id")[:400]
        )
        for person_id, branch_id in rng.sample(members, 3):
            awards.append(
                VanguardAward(
                    person_id=person_id,
                    branch_id=branch_id,
                    year=REPORT_DAY.year,
                    quarter=1,
                    points=rng.randint(60, 140),
                    citation="认岗领责、联户走访表现突出",
                )
            )
    VanguardAward.objects.bulk_create(awards)
    ctx.progress(f"{len(awards)} vanguard models (先锋榜样) in {REPORT_DAY.year} Q1")
