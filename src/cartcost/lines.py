"""The line items of a CAR-T journey, each declared once.

A line is what it counts (a quantity of days, nights, person-days, visits or
travellers, or nothing for a one-off), the figure that prices it (a field of the
destination's hospital, living or services tables, or the route's fare), its category
and its label. engine.py evaluates these declarations at the low and high ends (exact
Decimal) and over simulated draws (floats, one draw at a time or NumPy arrays), so the
estimate, the complications reserve, the budget, compare and batch all count the same
things. Four lines need more than a figure times a quantity and have their own
evaluator in the engine: the product (one of several offers), the visa (a fee that
depends on the length of the stay), the complications reserve (events) and the transfer
fees (a share of the bills in another currency than the family's).

Adding a line: declare it in LINES (or give it a `when` rule), give its figure a field
in the table's schema (rates.py and schema.py) and a value in data/rates.toml, and add a
test with a hand-computed expectation.

The quantity functions use only +, * and / on their arguments, so one function serves
Decimal ends, float draws and NumPy arrays alike.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from cartcost.rates import HospitalItem

Category = Literal["product", "hospital", "living", "travel", "services", "time"]
CATEGORIES: tuple[Category, ...] = ("product", "hospital", "living", "travel", "services", "time")

# A number the quantity functions compute with: Decimal at the ends, a float in one
# draw, a NumPy array over many draws.
Num = Any


def _plus(a: Num, b: Num) -> Num:
    # Adding a literal 0 to a vector of draws would copy it for nothing.
    return a if isinstance(b, int) and b == 0 else a + b


class Days:
    """The phases of one journey, in days (visits a week for `visits_per_week`), with
    the sums the quantities use worked out once.

    `extra_outside` and `extra_inpatient` are what events add: a second manufacturing
    wait outside a ward, ICU and ward days in one."""

    __slots__ = (
        "extra_inpatient",
        "extra_outside",
        "in_ward",
        "inpatient",
        "manufacturing",
        "nearby",
        "outside",
        "stay",
        "to_infusion",
        "visits_per_week",
        "workup",
    )

    def __init__(
        self,
        workup: Num,
        manufacturing: Num,
        inpatient: Num,
        nearby: Num,
        visits_per_week: Num,
        extra_outside: Num = 0,
        extra_inpatient: Num = 0,
    ) -> None:
        self.workup = workup
        self.manufacturing = manufacturing
        self.inpatient = inpatient
        self.nearby = nearby
        self.visits_per_week = visits_per_week
        self.extra_outside = extra_outside
        self.extra_inpatient = extra_inpatient
        self.to_infusion = workup + manufacturing
        # Days the patient is not in a ward, and in one.
        self.outside = _plus(self.to_infusion + nearby, extra_outside)
        self.in_ward = _plus(inpatient, extra_inpatient)
        self.stay = self.outside + self.in_ward

    def longer(self, extra_outside: Num, extra_inpatient: Num) -> Days:
        """The same journey lengthened by events."""
        return Days(
            self.workup,
            self.manufacturing,
            self.inpatient,
            self.nearby,
            self.visits_per_week,
            extra_outside,
            extra_inpatient,
        )


def rooms(people: int) -> int:
    """A room or apartment sleeps two."""
    return (people + 1) // 2


# ---------------------------------------------------------------- quantities


def inpatient_days(d: Days, caregivers: int) -> Num:
    return d.inpatient


def outpatient_visits(d: Days, caregivers: int) -> Num:
    return d.nearby * d.visits_per_week / 7


def room_nights(d: Days, caregivers: int) -> Num:
    # The patient and caregivers share rooms outside a ward; while the patient is
    # inpatient, the caregivers keep theirs.
    return d.outside * rooms(1 + caregivers) + d.in_ward * rooms(caregivers)


def person_days(d: Days, caregivers: int) -> Num:
    # The patient eats in the ward while inpatient; every caregiver eats out every day.
    return d.outside * (1 + caregivers) + d.in_ward * caregivers


def stay_days(d: Days, caregivers: int) -> Num:
    return d.stay


def away_days(d: Days, caregivers: int) -> Num:
    return person_days_away(d.stay, caregivers)


def person_days_away(stay: Num, caregivers: int) -> Num:
    """The time-away line's quantity for a stay of `stay` days (also per simulated
    journey): the patient and every caregiver are away from work for the whole stay."""
    return stay * (1 + caregivers)


class Line(NamedTuple):
    """One line item: where its figure is, what it counts, and when it applies.

    `part`/`field`: the figure's place in the destination (`hospital.inpatient_day`);
    part "fare" is the route's fare. `quantity` None: a one-off amount. `group`: the
    lines whose prices move together in a simulation (one hospital, one city).
    `when`: "always", "away" (not for a family living near the centre), "abroad" (not
    for a patient treated at home), "interpreter" (abroad and no common language),
    "no-events" (only when the table has no [events]), "societal" (only under the
    societal perspective; priced by the scenario's income, not by the table).
    `item`: the hospital item an offer's price may include (then the line is skipped or
    its low end is 0)."""

    key: str
    category: Category
    label: str
    part: str
    field: str
    quantity: Any = None  # Callable[[Days, int], Num] | None
    unit: str = ""
    group: str = ""
    when: str = "always"
    item: HospitalItem | None = None
    optional: bool = False  # the figure may be absent from the table (then no line)


PRODUCT = "product.price"
VISA = "travel.visa"
FLIGHTS = "travel.flights"
RESERVE = "hospital.complications"
TRANSFER = "services.transfer"
TRANSFER_LABEL = "Currency conversion and transfer fees"
# Bought or paid in the family's own country before travel, in its own currency, whatever
# currency the table quotes them in: no money sent abroad, no exchange-rate move on them.
PAID_AT_HOME = (FLIGHTS, VISA)
RESERVE_LABEL = "Complications reserve (ICU, severe CRS/ICANS, re-collection, readmission)"

HOSPITAL_ITEMS: tuple[Line, ...] = (
    Line(
        "hospital.workup",
        "hospital",
        "Work-up: consultation, eligibility tests, imaging",
        "hospital",
        "workup",
        group="hospital",
        item="workup",
    ),
    Line(
        "hospital.apheresis",
        "hospital",
        "Leukapheresis (cell collection)",
        "hospital",
        "apheresis",
        group="hospital",
        item="apheresis",
    ),
    Line(
        "hospital.bridging",
        "hospital",
        "Bridging therapy while cells are made",
        "hospital",
        "bridging",
        group="hospital",
        item="bridging",
        optional=True,
    ),
    Line(
        "hospital.lymphodepletion",
        "hospital",
        "Lymphodepleting chemotherapy",
        "hospital",
        "lymphodepletion",
        group="hospital",
        item="lymphodepletion",
    ),
)

LINES: tuple[Line, ...] = (
    *HOSPITAL_ITEMS,
    Line(
        "hospital.inpatient",
        "hospital",
        "Inpatient stay and monitoring",
        "hospital",
        "inpatient_day",
        inpatient_days,
        "days",
        group="hospital",
    ),
    Line(
        "hospital.outpatient",
        "hospital",
        "Outpatient visits while staying nearby",
        "hospital",
        "outpatient_visit",
        outpatient_visits,
        "visits",
        group="hospital",
    ),
    # Without [events] in the table, the reserve is the country's own figure.
    Line(
        "hospital.complications",
        "hospital",
        "Complications reserve (CRS/ICANS, ICU; low = none)",
        "hospital",
        "complications",
        group="hospital",
        when="no-events",
        optional=True,
    ),
    Line(
        "living.lodging",
        "living",
        "Lodging near the centre",
        "living",
        "lodging_night",
        room_nights,
        "room-nights",
        group="living",
        when="away",
    ),
    Line(
        "living.meals",
        "living",
        "Meals and incidentals",
        "living",
        "meals_day",
        person_days,
        "person-days",
        group="living",
    ),
    Line(
        "living.transport",
        "living",
        "Local transport (no driving after infusion)",
        "living",
        "local_transport_day",
        stay_days,
        "days",
        group="living",
        when="away",
    ),
    Line(
        FLIGHTS,
        "travel",
        "Return flights (economy)",
        "fare",
        "",
        None,
        "travellers",
        group="travel",
        when="abroad",
    ),
    Line(
        "services.coordinator",
        "services",
        "International patient coordinator",
        "services",
        "coordinator",
        group="services",
        when="abroad",
        optional=True,
    ),
    Line(
        "services.interpreter",
        "services",
        "Interpreter",
        "services",
        "interpreter_day",
        stay_days,
        "days",
        group="services",
        when="interpreter",
        optional=True,
    ),
)

# The income the patient and caregivers lose while away: only under the societal
# perspective, priced by the yearly income the user gives (whopays.py), not the table.
TIME = "time.away"
TIME_LINE = Line(
    TIME,
    "time",
    "Time away from work (patient and caregivers)",
    "scenario",
    "income",
    away_days,
    "person-days",
    when="societal",
)

BY_KEY = {line.key: line for line in (*LINES, TIME_LINE)}
# The order lines are shown in; the three special lines take their places here.
ORDER: tuple[str, ...] = (
    PRODUCT,
    *(line.key for line in LINES if line.category == "hospital"),
    *(line.key for line in LINES if line.category == "living"),
    FLIGHTS,
    VISA,
    *(line.key for line in LINES if line.category == "services"),
    TRANSFER,
)
# Lines whose quantity counts days of the stay: events that lengthen it extend them.
DAY_LINES = tuple(
    line.key for line in LINES if line.quantity in (room_nights, person_days, stay_days)
)
