"""Demo request categories, reply templates and a few hundred requests in every state.

Requests are written in bulk with their timelines (no notifications are sent for demo data);
the demo grid leader's grid and the demo member get some of each state to try the workflow on.
"""

import datetime
import secrets

from django.utils import timezone

from core.workdays import deadline_add
from grids.models import Building
from organization.models import Department, Person, PoliticalStatus, StaffRole

from .models import (
    OPEN_STATUSES,
    SATISFIED_RATINGS,
    ActorRole,
    Category,
    Channel,
    EventKind,
    HandlingLevel,
    Rating,
    ReplyTemplate,
    RequestDepartment,
    RequestEvent,
    RequestRating,
    ResidentRequest,
    Status,
    new_tracking_code,
)

# (code, name, [(code, name, default level, default department code, hours to accept,
# hours to resolve, sample descriptions)])
CATEGORIES = [
    (
        "env",
        "环境卫生",
        [
            (
                "env-garbage",
                "垃圾清运",
                "grid",
                "D-CG",
                12,
                48,
                ["楼下垃圾桶满了两天没人清运，气味很大。", "小区门口堆放建筑垃圾，影响通行。"],
            ),
            (
                "env-green",
                "绿化养护",
                "community",
                "D-CG",
                24,
                120,
                ["楼前的树枝快碰到三楼窗户了，刮风时很危险。", "绿化带杂草丛生，希望修剪。"],
            ),
            (
                "env-corner",
                "卫生死角",
                "grid",
                "D-CG",
                24,
                72,
                ["车棚后面长期堆放杂物，老鼠很多。", "楼道里有人堆放旧家具，很久没人清理。"],
            ),
        ],
    ),
    (
        "muni",
        "市政设施",
        [
            (
                "muni-lamp",
                "路灯维修",
                "community",
                "D-CG",
                24,
                72,
                [
                    "小区东门的路灯坏了一个星期，晚上很黑。",
                    "巷子里两盏路灯不亮，老人晚上出门不方便。",
                ],
            ),
            (
                "muni-road",
                "道路破损",
                "street",
                "D-ZJ",
                24,
                168,
                ["单元门口的路面塌了一个坑，下雨积水。", "人行道砖块松动，已经有人绊倒。"],
            ),
            (
                "muni-drain",
                "下水道堵塞",
                "community",
                "D-SW",
                12,
                48,
                ["一楼下水道反水，厨房都是污水。", "雨水井堵了，一下雨路口就积水。"],
            ),
            (
                "muni-cover",
                "窨井盖缺损",
                "street",
                "D-CG",
                6,
                24,
                ["路边窨井盖破了一个角，小孩容易踩空。"],
            ),
        ],
    ),
    (
        "prop",
        "物业服务",
        [
            (
                "prop-lift",
                "电梯故障",
                "community",
                "D-SJ",
                6,
                48,
                ["电梯经常停在半层，里面的人出不来。", "电梯按钮失灵，楼上住着好几位老人。"],
            ),
            (
                "prop-light",
                "楼道照明",
                "grid",
                None,
                24,
                72,
                ["三单元楼道声控灯坏了，上下楼摸黑。"],
            ),
            (
                "prop-leak",
                "屋顶漏水",
                "community",
                "D-ZJ",
                24,
                240,
                ["顶楼下雨就漏水，墙皮都掉了。"],
            ),
            (
                "prop-parking",
                "停车管理",
                "grid",
                None,
                24,
                72,
                ["消防通道上天天停满私家车。", "外来车辆占用小区车位。"],
            ),
        ],
    ),
    (
        "safety",
        "公共安全",
        [
            (
                "safety-ebike",
                "电动车违规充电",
                "grid",
                "D-GA",
                6,
                24,
                ["有人从楼上拉电线给电动车充电，很危险。", "楼道里停放电动车并充电。"],
            ),
            ("safety-fire", "消防通道占用", "community", "D-GA", 6, 24, ["消防通道被杂物堵死了。"]),
            (
                "safety-hazard",
                "安全隐患",
                "community",
                "D-ZJ",
                12,
                72,
                ["围墙有裂缝，往外倾斜。", "空调外机支架锈蚀，怕掉下来。"],
            ),
        ],
    ),
    (
        "life",
        "民生服务",
        [
            (
                "life-elderly",
                "助老服务",
                "grid",
                "D-MZ",
                24,
                72,
                [
                    "独居老人腿脚不便，希望有人帮忙买菜。",
                    "楼上张奶奶想申请助餐服务，不知道怎么办。",
                ],
            ),
            (
                "life-hardship",
                "困难帮扶",
                "community",
                "D-MZ",
                24,
                168,
                ["家里老人生病，生活困难，想了解救助政策。"],
            ),
            (
                "life-health",
                "医疗卫生",
                "community",
                "D-WJ",
                24,
                120,
                ["希望社区组织老人免费体检。"],
            ),
            ("life-consult", "政策咨询", "grid", None, 24, 72, ["想咨询老旧小区加装电梯的政策。"]),
        ],
    ),
    (
        "neigh",
        "邻里关系",
        [
            (
                "neigh-noise",
                "噪音扰民",
                "grid",
                "D-HB",
                24,
                72,
                ["楼下饭店夜里排风机噪音很大。", "隔壁装修天天早上七点就开始打钻。"],
            ),
            ("neigh-dispute", "邻里纠纷", "grid", None, 24, 120, ["楼上漏水到我家，协商不成。"]),
            (
                "neigh-build",
                "违章搭建",
                "street",
                "D-CG",
                24,
                240,
                ["一楼住户在绿地上私自搭建棚子。"],
            ),
        ],
    ),
]

REPLY_TEMPLATES = [
    (
        Status.RESOLVED,
        None,
        "已上门处理",
        "您反映的问题已由网格党员上门处理完毕，感谢您对社区工作的支持。如仍有问题，请在评价中告诉我们。",
    ),
    (
        Status.RESOLVED,
        "env-garbage",
        "垃圾已清运",
        "垃圾已清运完毕，我们已提醒保洁人员加强巡查，每天定时清运。",
    ),
    (Status.RESOLVED, "muni-lamp", "路灯已修复", "路灯已修复，恢复照明。感谢您的反映。"),
    (
        Status.REJECTED,
        None,
        "不属于受理范围",
        "您反映的事项不属于社区受理范围，建议拨打12345政务服务热线反映。",
    ),
    (
        Status.REJECTED,
        None,
        "信息不足",
        "您提供的地址信息不足，无法核实。请补充具体楼栋和位置后重新提交。",
    ),
]

RATING_NOTES = {
    Rating.SATISFIED: "满意",
    Rating.BASICALLY_SATISFIED: "基本满意",
    Rating.DISSATISFIED: "不满意",
}
PUBLIC_NOTES = {
    EventKind.ACCEPTED: "已受理，网格长将尽快安排处理。",
    EventKind.TAKEN: "已接单，将尽快上门。",
    EventKind.RESOLVED: "已上门处理完毕。",
}


def _categories(ctx) -> dict[str, Category]:
    departments = {d.code: d for d in Department.objects.all()}
    existing = {c.code: c for c in Category.objects.all()}
    order = 0
    for code, name, children in CATEGORIES:
        order += 1
        parent = existing.get(code) or Category.objects.create(
            code=code, name=name, sort_order=order
        )
        existing[code] = parent
        for child_code, child_name, level, dept, accept, resolve, _samples in children:
            order += 1
            if child_code not in existing:
                existing[child_code] = Category.objects.create(
                    code=child_code,
                    name=child_name,
                    parent=parent,
                    default_level=level,
                    default_department=departments.get(dept),
                    hours_to_accept=accept,
                    hours_to_resolve=resolve,
                    sort_order=order,
                )
    if not ReplyTemplate.objects.exists():
        ReplyTemplate.objects.bulk_create(
            ReplyTemplate(for_status=s, category=existing.get(c) if c else None, title=t, text=x)
            for s, c, t, x in REPLY_TEMPLATES
        )
    ctx.progress(f"{len(existing)} request categories")
    return existing


# Weighted states of the demo requests.
STATE_WEIGHTS = [
    (Status.SUBMITTED, 10),
    (Status.ACCEPTED, 9),
    (Status.DISPATCHED, 7),
    (Status.TAKEN, 7),
    (Status.RESOLVED, 10),
    (Status.CLOSED, 45),
    (Status.REJECTED, 7),
    (Status.MERGED, 5),
]


def load(ctx):
    categories = _categories(ctx)
    if ResidentRequest.objects.exists():
        ctx.progress("requests already present: nothing changed")
        return
    rng = ctx.rng("resident_requests")
    samples = {child[0]: child[6] for _c, _n, children in CATEGORIES for child in children}
    leaves = [c for c in categories.values() if c.code in samples]
    buildings = list(Building.objects.select_related("grid").order_by("pk"))
    if not buildings:
        ctx.progress("no buildings: no demo requests")
        return
    first_grid = buildings[0].grid
    members_by_grid_unit: dict[int, list[int]] = {}
    for pk, unit_id in Person.objects.filter(
        political_status=PoliticalStatus.FULL_MEMBER, membership_unit__isnull=False
    ).values_list("pk", "membership_unit_id"):
        members_by_grid_unit.setdefault(unit_id, []).append(pk)
    demo_member = Person.objects.filter(user__username="member").first()
    departments = {d.code: d for d in Department.objects.all()}
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    now = timezone.now()
    statuses = [s for s, w in STATE_WEIGHTS for _ in range(w)]

    requests, plans = [], []
    first_grid_buildings = [b for b in buildings if b.grid_id == first_grid.pk]
    for i in range(400):
        # A quarter of the demo requests land in the demo grid leader's grid.
        building = rng.choice(first_grid_buildings if i % 4 == 0 else buildings)
        category = rng.choice(leaves)
        status = statuses[i % len(statuses)] if i < 40 else rng.choice(statuses)
        created = now - datetime.timedelta(minutes=rng.randint(30, 90 * 24 * 60))
        level = category.default_level
        if level == HandlingLevel.DEPARTMENT:
            level = HandlingLevel.STREET
        escalate_to_departments = bool(departments) and (
            (status in (Status.ACCEPTED, Status.RESOLVED, Status.CLOSED) and rng.random() < 0.25)
            or (i < 12 and status == Status.ACCEPTED)
        )
        if escalate_to_departments:
            level = HandlingLevel.DEPARTMENT
        phone = rng.choice(["138", "139", "150", "187", "133"]) + f"{rng.randrange(10**8):08d}"
        request = ResidentRequest(
            code=new_tracking_code(created),
            access_token=secrets.token_urlsafe(32),
            channel=rng.choice(
                [Channel.WEB] * 6
                + [Channel.WALK_IN, Channel.PATROL, Channel.PHONE, Channel.RECEPTION_DAY]
            ),
            submitter_name=rng.choice(surnames) + rng.choice(["先生", "女士", "阿姨", "师傅"]),
            submitter_phone=phone,
            building=building,
            grid=building.grid,
            address=building.address,
            category=category,
            description=rng.choice(samples[category.code]),
            status=status,
            level=level,
            accept_deadline=deadline_add(
                created, category.hours_to_accept, category.deadline_basis
            ),
            supporters_count=rng.choice([0, 0, 0, 1, 2, 5]),
        )
        request.created_at = created
        if status != Status.SUBMITTED and status not in (Status.REJECTED, Status.MERGED):
            request.accepted_at = created + datetime.timedelta(hours=rng.uniform(0.5, 20))
            request.resolve_deadline = deadline_add(
                request.accepted_at, category.hours_to_resolve, category.deadline_basis
            )
        if (
            status in (Status.DISPATCHED, Status.TAKEN, Status.RESOLVED, Status.CLOSED)
            and level != HandlingLevel.DEPARTMENT
        ):
            pool = members_by_grid_unit.get(building.grid.unit_id) or []
            if demo_member and building.grid_id == first_grid.pk and rng.random() < 0.6:
                request.assignee_id = demo_member.pk
            elif pool:
                request.assignee_id = rng.choice(pool)
            request.dispatched_at = request.accepted_at + datetime.timedelta(hours=1)
            if status != Status.DISPATCHED:
                request.taken_at = request.dispatched_at + datetime.timedelta(hours=2)
        if status in (Status.RESOLVED, Status.CLOSED):
            request.resolved_at = (request.accepted_at or created) + datetime.timedelta(
                hours=rng.uniform(3, category.hours_to_resolve * 1.3)
            )
            request.resolved_at = min(request.resolved_at, now - datetime.timedelta(minutes=5))
            request.resolution_note = PUBLIC_NOTES[EventKind.RESOLVED]
        if status == Status.CLOSED:
            request.rating = rng.choice(
                [Rating.SATISFIED] * 7 + [Rating.BASICALLY_SATISFIED] * 2 + [""]
            )
            request.rated_at = request.resolved_at if request.rating else None
            request.closed_at = request.resolved_at + datetime.timedelta(hours=rng.uniform(1, 160))
            request.closed_at = min(request.closed_at, now)
            if request.rating and i % 6 == 1:
                # Rated 不满意 first, reopened and resolved again: the 满意率 counts both.
                request.reopened_count = 1
        request.rated_count = request.reopened_count + 1 if request.rating else 0
        request.satisfied_count = int(request.rating in SATISFIED_RATINGS)
        if status == Status.REJECTED:
            request.reject_reason = REPLY_TEMPLATES[3][3]
            request.closed_at = created + datetime.timedelta(hours=3)
        if status in OPEN_STATUSES:
            due = request.resolve_deadline or request.accept_deadline
            request.overdue = due < now
        requests.append(request)
        plans.append(escalate_to_departments)
    about_to_miss = _about_to_miss_acceptance(requests, first_grid, now)
    # bulk_create's auto_now_add overwrites created_at: keep the spread-out dates to restore.
    created_map = {r.code: r.created_at for r in requests}
    ResidentRequest.objects.bulk_create(requests, batch_size=500)
    saved = {r.code: r for r in ResidentRequest.objects.filter(code__in=created_map)}
    for request in requests:
        request.created_at = created_map[request.code]
        saved[request.code].created_at = request.created_at
    ResidentRequest.objects.bulk_update(saved.values(), ["created_at"], batch_size=500)

    events, links = [], []
    merge_targets = [r for r in requests if r.status in OPEN_STATUSES]
    for request, to_departments in zip(requests, plans, strict=True):
        request.pk = saved[request.code].pk
        events.extend(_timeline(request, to_departments, departments, rng, now))
        if to_departments:
            dept = request.category.default_department or _fallback(departments)
            ack = request.escalated_at_demo + datetime.timedelta(hours=rng.uniform(1, 20))
            done = (
                request.resolved_at if request.status in (Status.RESOLVED, Status.CLOSED) else None
            )
            links.append(
                RequestDepartment(
                    request_id=request.pk,
                    department=dept,
                    acknowledge_deadline=deadline_add(
                        request.escalated_at_demo, 24, request.category.deadline_basis
                    ),
                    done_deadline=request.resolve_deadline or now,
                    acknowledged_at=ack if ack < now and rng.random() < 0.8 else done,
                    reported_done_at=done,
                    done_note="已派人现场处置。" if done else "",
                )
            )
    for request in requests:
        if request.status == Status.MERGED and merge_targets:
            target = rng.choice(merge_targets)
            if target.grid_id != request.grid_id:
                continue
            ResidentRequest.objects.filter(pk=request.pk).update(merged_into=target.pk)
    RequestEvent.objects.bulk_create(events, batch_size=1000)
    RequestDepartment.objects.bulk_create(links, batch_size=500)
    RequestRating.objects.bulk_create(
        [
            RequestRating(
                request_id=request.pk,
                resolution=resolution,
                rating=request.rating if resolution == request.reopened_count else "dissatisfied",
                created_at=request.rated_at,
            )
            for request in requests
            if request.rating
            for resolution in range(request.reopened_count + 1)
        ],
        batch_size=1000,
    )
    for request in requests:
        if request.escalated_at_demo:
            ResidentRequest.objects.filter(pk=request.pk).update(
                escalated_at=request.escalated_at_demo
            )
    ctx.progress(f"{len(requests)} requests, {len(events)} timeline events")
    for request in about_to_miss:
        ctx.progress(
            f"request {request.code} (grid {request.grid}) misses its acceptance deadline at "
            f"{timezone.localtime(request.accept_deadline):%H:%M}: the deadlines round (every "
            "5 minutes) escalates it to its community"
        )


# Submitted requests whose acceptance deadline passes this many minutes after the demo is
# loaded: with `make run`'s worker and beat, a newcomer sees one escalate by itself (分级响应).
ABOUT_TO_MISS_MINUTES = (2, 3, 4)


def _about_to_miss_acceptance(requests, first_grid, now) -> list:
    """Give a few submitted grid-level requests (the demo grid leader's first) an acceptance
    deadline minutes away; every other open request's deadline is hours away or already past."""
    candidates = sorted(
        (r for r in requests if r.status == Status.SUBMITTED and r.level == HandlingLevel.GRID),
        key=lambda r: r.grid_id != first_grid.pk,
    )
    chosen = candidates[: len(ABOUT_TO_MISS_MINUTES)]
    for request, minutes in zip(chosen, ABOUT_TO_MISS_MINUTES, strict=False):
        request.accept_deadline = now + datetime.timedelta(minutes=minutes)
        request.created_at = request.accept_deadline - datetime.timedelta(
            hours=request.category.hours_to_accept
        )
        request.overdue = False
    return chosen


def _fallback(departments):
    """The city management bureau, the department most requests end with (any one in tests)."""
    return departments.get("D-CG") or next(iter(departments.values()))


def _event(request, kind, at, role, surname, from_status, to_status, from_level, to_level, note=""):
    return RequestEvent(
        request_id=request.pk,
        kind=kind,
        actor_role=role,
        actor_surname=surname,
        from_status=from_status,
        to_status=to_status,
        from_level=from_level,
        to_level=to_level,
        public_note=note,
        created_at=at,
    )


def _first_resolution(request, surname, level):
    """A first resolution rated 不满意 and reopened, between the start and the last one."""
    start = request.taken_at or request.accepted_at
    first = start + (request.resolved_at - start) / 3
    rated = start + (request.resolved_at - start) / 2
    role = ActorRole.PARTY_MEMBER if request.assignee_id else StaffRole.GRID_LEADER
    return [
        _event(
            request,
            EventKind.RESOLVED,
            first,
            role,
            surname,
            Status.ACCEPTED,
            Status.RESOLVED,
            level,
            level,
            PUBLIC_NOTES[EventKind.RESOLVED],
        ),
        _event(
            request,
            EventKind.RATED,
            rated,
            ActorRole.RESIDENT,
            "",
            Status.RESOLVED,
            Status.RESOLVED,
            level,
            level,
            RATING_NOTES[Rating.DISSATISFIED],
        ),
        _event(
            request,
            EventKind.REOPENED,
            rated,
            ActorRole.SYSTEM,
            "",
            Status.RESOLVED,
            Status.ACCEPTED,
            level,
            level,
            "居民不满意，重新办理。",
        ),
    ]


def _timeline(request, to_departments, departments, rng, now):
    """Plausible events leading to the request's demo state."""
    surname = rng.choice("王李张刘陈杨")
    events = []
    start_level = request.category.default_level
    if start_level == HandlingLevel.DEPARTMENT:
        start_level = HandlingLevel.STREET
    level = start_level
    at = request.created_at
    events.append(
        _event(
            request,
            EventKind.SUBMITTED,
            at,
            ActorRole.RESIDENT,
            "",
            "",
            Status.SUBMITTED,
            "",
            level,
        )
    )
    request.escalated_at_demo = None
    if request.status == Status.REJECTED:
        events.append(
            _event(
                request,
                EventKind.REJECTED,
                request.closed_at,
                StaffRole.GRID_LEADER,
                surname,
                Status.SUBMITTED,
                Status.REJECTED,
                level,
                level,
                request.reject_reason,
            )
        )
        return events
    if request.status == Status.MERGED:
        events.append(
            _event(
                request,
                EventKind.MERGED,
                at + datetime.timedelta(hours=2),
                StaffRole.GRID_LEADER,
                surname,
                Status.SUBMITTED,
                Status.MERGED,
                level,
                level,
                "同一问题已有居民反映，合并办理。",
            )
        )
        return events
    if request.status == Status.SUBMITTED:
        return events
    events.append(
        _event(
            request,
            EventKind.ACCEPTED,
            request.accepted_at,
            StaffRole.GRID_LEADER,
            surname,
            Status.SUBMITTED,
            Status.ACCEPTED,
            level,
            level,
            PUBLIC_NOTES[EventKind.ACCEPTED],
        )
    )
    if to_departments:
        at = request.accepted_at + datetime.timedelta(hours=4)
        for target in [HandlingLevel.COMMUNITY, HandlingLevel.STREET, HandlingLevel.DEPARTMENT]:
            if target == level or (
                [x.value for x in HandlingLevel].index(target)
                < [x.value for x in HandlingLevel].index(level)
            ):
                continue
            events.append(
                _event(
                    request,
                    EventKind.ESCALATED,
                    at,
                    StaffRole.STREET_STAFF
                    if target == HandlingLevel.DEPARTMENT
                    else StaffRole.GRID_LEADER,
                    surname,
                    Status.ACCEPTED,
                    Status.ACCEPTED,
                    level,
                    target,
                    "街道吹哨，职能部门报到。"
                    if target == HandlingLevel.DEPARTMENT
                    else "提交上一级处理。",
                )
            )
            level = target
            at += datetime.timedelta(hours=3)
        request.escalated_at_demo = min(at, now)
        dept = request.category.default_department or _fallback(departments)
        events.append(
            _event(
                request,
                EventKind.DEPARTMENT_CALLED,
                request.escalated_at_demo,
                StaffRole.STREET_STAFF,
                surname,
                Status.ACCEPTED,
                Status.ACCEPTED,
                level,
                level,
                f"已请{dept.name}参与处置。",
            )
        )
    elif request.assignee_id:
        events.append(
            _event(
                request,
                EventKind.DISPATCHED,
                request.dispatched_at,
                StaffRole.GRID_LEADER,
                surname,
                Status.ACCEPTED,
                Status.DISPATCHED,
                level,
                level,
            )
        )
        if request.taken_at:
            events.append(
                _event(
                    request,
                    EventKind.TAKEN,
                    request.taken_at,
                    ActorRole.PARTY_MEMBER,
                    rng.choice("赵吴周徐孙"),
                    Status.DISPATCHED,
                    Status.TAKEN,
                    level,
                    level,
                    PUBLIC_NOTES[EventKind.TAKEN],
                )
            )
    if request.resolved_at and request.reopened_count:
        events += _first_resolution(request, surname, level)
    if request.resolved_at:
        events.append(
            _event(
                request,
                EventKind.RESOLVED,
                request.resolved_at,
                ActorRole.PARTY_MEMBER if request.assignee_id else StaffRole.GRID_LEADER,
                surname,
                Status.TAKEN if request.taken_at else Status.ACCEPTED,
                Status.RESOLVED,
                level,
                level,
                request.resolution_note,
            )
        )
    if request.status == Status.CLOSED:
        if request.rating:
            events.append(
                _event(
                    request,
                    EventKind.RATED,
                    request.closed_at,
                    ActorRole.RESIDENT,
                    "",
                    Status.RESOLVED,
                    Status.CLOSED,
                    level,
                    level,
                    RATING_NOTES[request.rating],
                )
            )
        else:
            events.append(
                _event(
                    request,
                    EventKind.CLOSED,
                    request.closed_at,
                    ActorRole.SYSTEM,
                    "",
                    Status.RESOLVED,
                    Status.CLOSED,
                    level,
                    level,
                    "7天未评价，自动办结。",
                )
            )
    return events
