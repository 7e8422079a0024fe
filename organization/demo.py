"""Demo organization: the district's five-level chain, its people and posts, and demo logins.

The figures are the district's published ones (core.figures, ../shared/DOMAIN.md); DEMO_FIGURES
holds the demo's own counts, each agreeing with its published figure (tests check it).
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import connection

from core.figures import PARTY_BUILDING

from .models import (
    Department,
    DepartmentLevel,
    OrgForm,
    OrgUnit,
    Person,
    PoliticalStatus,
    Position,
    Role,
    StaffRole,
    StaffScope,
    UnitKind,
)
from .roles import roles_sync

DEMO_PASSWORD = "jingkou-demo-2026"  # noqa: S105 - published in the README for the demo

# The published figures as the demo builds them: exact ones as published, and a count a little
# above the bound of one published as "740+".
DEMO_FIGURES = {
    **{key: figure.value for key, figure in PARTY_BUILDING.items() if not figure.at_least},
    "central_households": 746,  # 740+
    "party_members": 6128,  # 6,100+
}

# Street → its communities. 正东路 and 谏壁's 东街 are the real names from the report; the rest
# are plausible demo names.
STREETS = [
    (
        "S1",
        "正东路街道",
        ["京口路", "恒美嘉园", "宝塔山", "京岘山", "江科大", "酒海街", "棒棰营", "贺家弄"],
    ),
    (
        "S2",
        "健康路街道",
        ["八叉巷", "梳儿巷", "网巾桥", "高家弄", "仁章路", "五条街", "南门大街", "梦溪"],
    ),
    (
        "S3",
        "大市口街道",
        ["演军巷", "牌湾", "登云山", "中山桥", "正东新村", "解放路", "斜桥街", "花山湾"],
    ),
    ("S4", "四牌楼街道", ["京畿路", "长江路", "中华路", "江滨", "东吴路", "金山", "迎江路"]),
    (
        "S5",
        "象山街道",
        ["象山新村", "焦山路", "桃花坞", "学府路", "沿江", "象山花园", "丁卯桥", "官塘"],
    ),
    ("S6", "谏壁街道", ["东街", "月湖", "雩山", "越河街", "谏壁新村", "粮山", "儒里"]),
]
GRIDS_TOTAL = DEMO_FIGURES["grids"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国玉兰志红文辉海燕德明春梅立新金凤宏伟小红建华凤英秀兰淑珍永强"

DEPARTMENTS = [
    ("D-ZJ", "区住房和城乡建设局"),
    ("D-CG", "区城市管理局"),
    ("D-MZ", "区民政局"),
    ("D-WJ", "区卫生健康委员会"),
    ("D-SJ", "区市场监督管理局"),
    ("D-HB", "市生态环境局京口分局"),
    ("D-GA", "市公安局京口分局"),
    ("D-SW", "区水利局"),
]


def _people_names(rng, count):
    given = [GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2)] + list(GIVEN)
    return [rng.choice(SURNAMES) + rng.choice(given) for _ in range(count)]


def _phones(rng, count):
    seen = set()
    phones = []
    prefixes = [
        "133",
        "135",
        "136",
        "137",
        "138",
        "139",
        "150",
        "151",
        "152",
        "158",
        "159",
        "177",
        "180",
        "181",
        "187",
        "188",
        "189",
        "199",
    ]
    while len(phones) < count:
        phone = rng.choice(prefixes) + f"{rng.randrange(10**8):08d}"
        if phone not in seen:
            seen.add(phone)
            phones.append(phone)
    return phones


class _Node:
    __slots__ = ("unit", "children")

    def __init__(self, unit):
        self.unit = unit
        self.children = []

    def add(self, unit: OrgUnit) -> "_Node":
        unit.parent = self.unit
        node = _Node(unit)
        self.children.append(node)
        return node


def _assign_tree_fields(root: _Node, tree_id: int) -> list[list[OrgUnit]]:
    """Set MPTT's lft/rght/level/tree_id by a depth-first walk (children in code order, as
    MPTTMeta.order_insertion_by asks) and return the units level by level for bulk inserts."""
    levels: list[list[OrgUnit]] = []
    counter = 1
    stack = [(root, 0, False)]
    while stack:
        node, level, done = stack.pop()
        if done:
            node.unit.rght = counter
            counter += 1
            continue
        node.unit.lft = counter
        node.unit.level = level
        node.unit.tree_id = tree_id
        counter += 1
        while len(levels) <= level:
            levels.append([])
        levels[level].append(node.unit)
        stack.append((node, level, True))
        for child in sorted(node.children, key=lambda n: n.unit.code, reverse=True):
            stack.append((child, level + 1, False))
    return levels


def _ensure_logins(ctx):
    User = get_user_model()
    ctx.add_login("admin", DEMO_PASSWORD, "superuser: everything")
    ctx.add_login("orgdept", DEMO_PASSWORD, "区委组织部: the whole district")
    ctx.add_login("street", DEMO_PASSWORD, "正东路街道 street staff")
    ctx.add_login("community", DEMO_PASSWORD, "京口路社区 community staff")
    ctx.add_login("gridleader", DEMO_PASSWORD, "grid leader of 京口路第1网格")
    ctx.add_login("member", DEMO_PASSWORD, "party member in 京口路第1网格 (/member/)")
    ctx.add_login("dept", DEMO_PASSWORD, "区城市管理局 department staff")
    return User


def load(ctx):
    _ensure_logins(ctx)
    roles_sync()
    if OrgUnit.objects.filter(code="JK").exists():
        ctx.progress("organization tree already present: nothing changed")
        return
    rng = ctx.rng("organization")
    today = datetime.date(2022, 4, 29)

    # --- The tree, built in memory, then inserted level by level. -------------------------
    root = _Node(
        OrgUnit(
            kind=UnitKind.DISTRICT,
            org_form=OrgForm.DISTRICT_COMMITTEE,
            name="中共京口区委",
            code="JK",
        )
    )
    communities: list[_Node] = []
    for street_code, street_name, community_names in STREETS:
        street = root.add(
            OrgUnit(
                kind=UnitKind.STREET,
                org_form=OrgForm.WORKING_COMMITTEE,
                name=f"{street_name}党工委",
                code=f"JK-{street_code}",
            )
        )
        for c_index, community_name in enumerate(community_names, start=1):
            form = OrgForm.COMMITTEE if rng.random() < 0.8 else OrgForm.GENERAL_BRANCH
            suffix = "社区党委" if form == OrgForm.COMMITTEE else "社区党总支"
            community = street.add(
                OrgUnit(
                    kind=UnitKind.COMMUNITY,
                    org_form=form,
                    name=f"{community_name}{suffix}",
                    code=f"JK-{street_code}-C{c_index:02d}",
                )
            )
            communities.append(community)

    # 295 grids over the communities: every community at least 5, the rest spread at random.
    grid_counts = [5] * len(communities)
    for _ in range(GRIDS_TOTAL - sum(grid_counts)):
        grid_counts[rng.randrange(len(communities))] += 1
    party_group_indexes = set(rng.sample(range(GRIDS_TOTAL), DEMO_FIGURES["grid_party_groups"]))
    grids: list[_Node] = []
    buildings: list[_Node] = []
    for community, count in zip(communities, grid_counts, strict=True):
        short = community.unit.name.replace("社区党委", "").replace("社区党总支", "")
        for g in range(1, count + 1):
            is_group = len(grids) in party_group_indexes
            grid = community.add(
                OrgUnit(
                    kind=UnitKind.GRID,
                    org_form=OrgForm.GROUP if is_group else OrgForm.BRANCH,
                    name=f"{short}第{g}网格党{'小组' if is_group else '支部'}",
                    code=f"{community.unit.code}-G{g:02d}",
                )
            )
            grids.append(grid)
            for b in range(1, rng.randint(3, 5) + 1):
                building = grid.add(
                    OrgUnit(
                        kind=UnitKind.BUILDING,
                        org_form=OrgForm.GROUP,
                        name=f"{short}第{g}网格{b}号楼栋党小组",
                        code=f"{grid.unit.code}-B{b:02d}",
                    )
                )
                buildings.append(building)
    households: list[_Node] = []
    for _ in range(DEMO_FIGURES["central_households"]):
        building = rng.choice(buildings)
        n = len(building.children) + 1
        household = building.add(
            OrgUnit(
                kind=UnitKind.HOUSEHOLD,
                org_form=OrgForm.HOUSEHOLD,
                name=f"{building.unit.name.replace('党小组', '')}党员中心户{n}",
                code=f"{building.unit.code}-H{n:02d}",
            )
        )
        households.append(household)

    tree_id = (
        OrgUnit.objects.order_by("-tree_id").values_list("tree_id", flat=True).first() or 0
    ) + 1
    levels = _assign_tree_fields(root, tree_id)
    with OrgUnit.objects.disable_mptt_updates():
        for level_units in levels:
            for unit in level_units:
                if unit.parent is not None:
                    unit.parent_id = unit.parent.pk
            # Each level's parents were inserted just before, so their pks are known.
            OrgUnit.objects.bulk_create(level_units, batch_size=500)
    ctx.progress(f"{sum(len(lv) for lv in levels)} organization units")

    # --- People and posts. ----------------------------------------------------------------
    member_target = DEMO_FIGURES["party_members"]
    non_member_leaders = GRIDS_TOTAL - DEMO_FIGURES["party_member_grid_leaders"]
    names = _people_names(rng, member_target + non_member_leaders)
    phones = _phones(rng, member_target + non_member_leaders)
    people: list[Person] = []

    def new_person(status, unit, retired=False):
        person = Person(
            name=names[len(people)],
            phone=phones[len(people)],
            political_status=status,
            retired=retired,
            membership_unit=unit,
        )
        people.append(person)
        return person

    positions: list[Position] = []
    # Secretaries of the district, streets and communities.
    for node in [root, *root.children, *communities]:
        positions.append(
            Position(
                person=new_person(PoliticalStatus.FULL_MEMBER, node.unit),
                unit=node.unit,
                role=Role.SECRETARY,
                start_date=today,
            )
        )
    # Grid branch secretaries: 264 of them retired party members.
    retired_secretaries = set(
        rng.sample(range(GRIDS_TOTAL), DEMO_FIGURES["retired_branch_secretaries"])
    )
    for i, grid in enumerate(grids):
        secretary = new_person(
            PoliticalStatus.FULL_MEMBER, grid.unit, retired=i in retired_secretaries
        )
        role = Role.SECRETARY if grid.unit.org_form == OrgForm.BRANCH else Role.GROUP_LEADER
        positions.append(Position(person=secretary, unit=grid.unit, role=role, start_date=today))
    # Grid leaders: 159 party members who moved their membership into their grid branch and
    # hold a post in it; 126 non-members who applied to join; the rest non-party.
    leader_order = list(range(GRIDS_TOTAL))
    rng.shuffle(leader_order)
    member_leaders = set(leader_order[: DEMO_FIGURES["party_member_grid_leaders"]])
    applicant_leaders = set(
        leader_order[
            DEMO_FIGURES["party_member_grid_leaders"] : DEMO_FIGURES["party_member_grid_leaders"]
            + DEMO_FIGURES["applicant_grid_leaders"]
        ]
    )
    for i, grid in enumerate(grids):
        if i in member_leaders:
            leader = new_person(PoliticalStatus.FULL_MEMBER, grid.unit)
            positions.append(
                Position(
                    person=leader, unit=grid.unit, role=Role.COMMITTEE_MEMBER, start_date=today
                )
            )
        elif i in applicant_leaders:
            leader = new_person(PoliticalStatus.APPLICANT, None)
        else:
            leader = new_person(PoliticalStatus.MASSES, None)
        positions.append(
            Position(person=leader, unit=grid.unit, role=Role.GRID_LEADER, start_date=today)
        )
    # Central household heads, one per household, members of their grid's branch.
    for household in households:
        grid_unit = household.unit.parent.parent
        head = new_person(PoliticalStatus.FULL_MEMBER, grid_unit, retired=rng.random() < 0.5)
        positions.append(
            Position(person=head, unit=household.unit, role=Role.HOUSEHOLD_HEAD, start_date=today)
        )
    # The remaining party members, spread over the grid branches.
    members_so_far = sum(1 for p in people if p.political_status == PoliticalStatus.FULL_MEMBER)
    for _ in range(member_target - members_so_far):
        status = (
            PoliticalStatus.PROBATIONARY if rng.random() < 0.04 else PoliticalStatus.FULL_MEMBER
        )
        new_person(status, rng.choice(grids).unit, retired=rng.random() < 0.35)
    Person.objects.bulk_create(people, batch_size=1000)
    for position in positions:
        position.person_id = position.person.pk
        position.unit_id = position.unit.pk
    Position.objects.bulk_create(positions, batch_size=1000)
    ctx.progress(f"{len(people)} people, {len(positions)} positions")

    # --- Departments and their pairing list (结对服务清单). -------------------------------
    departments = Department.objects.bulk_create(
        [
            Department(
                code=code,
                name=name,
                level=DepartmentLevel.DISTRICT,
                contact_name=names[i],
                contact_phone=phones[-(i + 1)],
            )
            for i, (code, name) in enumerate(DEPARTMENTS)
        ]
    )
    pairs = []
    Pairing = Department.paired_communities.through
    for community in communities:
        for department in rng.sample(departments, 2):
            pairs.append(Pairing(department_id=department.pk, orgunit_id=community.unit.pk))
    Pairing.objects.bulk_create(pairs)
    ctx.progress(f"{len(departments)} departments paired with {len(communities)} communities")

    _create_demo_users(root, communities, grids, departments)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE organization_orgunit; ANALYZE organization_person")


def _create_demo_users(root, communities, grids, departments):
    User = get_user_model()
    street = root.children[0]
    community = communities[0]
    grid = grids[0]

    def user(username, **extra):
        obj = User(username=username, is_staff=True, **extra)
        obj.set_password(DEMO_PASSWORD)
        obj.save()
        return obj

    user("admin", is_superuser=True)
    StaffScope.objects.create(user=user("orgdept"), role=StaffRole.ORG_DEPARTMENT, unit=root.unit)
    StaffScope.objects.create(user=user("street"), role=StaffRole.STREET_STAFF, unit=street.unit)
    StaffScope.objects.create(
        user=user("community"), role=StaffRole.COMMUNITY_STAFF, unit=community.unit
    )
    leader_user = user("gridleader")
    StaffScope.objects.create(user=leader_user, role=StaffRole.GRID_LEADER, unit=grid.unit)
    Person.objects.filter(positions__unit=grid.unit, positions__role=Role.GRID_LEADER).update(
        user=leader_user
    )
    member_user = User.objects.create_user("member", password=DEMO_PASSWORD)
    member = (
        Person.objects.filter(membership_unit=grid.unit, user__isnull=True, positions__isnull=True)
        .order_by("pk")
        .first()
    )
    Person.objects.filter(pk=member.pk).update(user=member_user)
    dept = next(d for d in departments if d.code == "D-CG")
    StaffScope.objects.create(user=user("dept"), role=StaffRole.DEPARTMENT_STAFF, department=dept)
    from .roles import roles_assign

    for username in ["orgdept", "street", "community", "gridleader", "dept"]:
        roles_assign(User.objects.get(username=username))
