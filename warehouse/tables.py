"""Every warehouse table, declared once.

This one declaration makes the SQLAlchemy schema (``warehouse.schema``), the
column order the staging and linkage code produce, and the column lists the
expectations check. A column added here appears everywhere; a column a stage
produces that is not declared here is a bug caught by ``warehouse.io``.

Schemas: ``work`` holds a sync's intermediate stages (overwritten by each sync),
``registry`` the published contract of ``shared/spec/registry.md``, ``restricted``
what only health and civil affairs may see (diagnoses, evidence and categories that
reveal hiv or serious_illness, restricted sources' raw rows) and the erasure
suppressions: the reader role is never granted it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Logical column types; warehouse.schema maps them to SQLAlchemy types.
STR, INT, FLOAT, DATE, BOOL, TIMESTAMP, JSON = "str", "int", "float", "date", "bool", "timestamp", "json"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    schema: str
    description: str
    columns: tuple[Column, ...]
    # Created as the table's PRIMARY KEY (its columns NOT NULL). raw_rows and quarantine
    # have none: a CSV row's source_sheet is NULL, and a key column may not be.
    primary_key: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


def _cols(*specs: tuple[str, str, str] | Column) -> tuple[Column, ...]:
    return tuple(s if isinstance(s, Column) else Column(*s) for s in specs)


SOURCE_ROW = _cols(
    ("source_system", STR, "inbox folder the row came from (civil_affairs_children, ...)"),
    ("source_file", STR, "file name within its inbox folder"),
    ("source_sheet", STR, "sheet name for a workbook, NULL for a CSV"),
    (
        "source_row",
        INT,
        "1-based row as a spreadsheet shows it (title rows counted; for a CSV the physical line)",
    ),
)

# The canonical person record every extract is staged into. A column an extract
# does not carry stays NULL. Codes, not Chinese labels, in coded columns: the
# value maps live in ingest/mappings/*.yaml.
PERSON = _cols(
    ("record_id", STR, "source_system:source_file:source_row — unique within a sync"),
    *SOURCE_ROW,
    (
        "record_key",
        STR,
        "content key of the row (source + identity fields); stable when a row moves in its file",
    ),
    (
        "role",
        STR,
        "child / adult / undetermined (roster row without a birth date); decided at the as-of date",
    ),
    ("name", STR, "name as cleaned: no spaces, half-width, simplified, minority separator written ·"),
    ("name_norm", STR, "name without the separator dot, for comparison"),
    ("name_pinyin", STR, "toneless pinyin of name_norm, syllables joined by nothing"),
    (
        "name_pinyin_folded",
        STR,
        "name_pinyin with Sichuan mergers folded (zh→z, ch→c, sh→s, l→n, ing→in, eng→en)",
    ),
    ("surname_pinyin", STR, "pinyin of the first character (or the part before the dot)"),
    ("given_pinyin", STR, "pinyin of the rest of the name"),
    ("sex", STR, "M / F / NULL; from the row, else from the identity number"),
    ("birth_date", DATE, "from the row, else from the identity number"),
    ("birth_date_from_id", DATE, "birth date encoded in a valid identity number, for lunar-date checks"),
    ("id_number", STR, "valid 18-character GB 11643 number, else NULL"),
    ("id_candidate", STR, "the cleaned number as given (may fail the check digit), for fuzzy comparison"),
    (
        "id_status",
        STR,
        "valid / missing / bad_check_digit / excel_mangled / suspect_zeroed / legacy15 / malformed",
    ),
    ("ethnicity", STR, "ethnic group name, e.g. 汉族, 彝族"),
    ("hukou", STR, "rural / urban / NULL (居民户口 is rural when the village is a 村)"),
    ("county_code", STR, "6-digit county code of Panzhihua, else NULL"),
    ("township", STR, "township name without suffix drift (大田镇 → 大田)"),
    ("village", STR, "village or community name without 村委会/居委会 drift"),
    ("village_kind", STR, "village (村) / community (社区) / NULL when the name does not say"),
    ("guardian_name", STR, "实际监护人 / 监护人姓名"),
    ("guardian_relation", STR, "father / mother / grandfather / grandmother / ... as coded"),
    ("guardian_phone", STR, "digits only"),
    ("father_name", STR, "ledger 父亲姓名"),
    ("father_id", STR, "ledger 父亲身份证号, valid 18-character or NULL"),
    (
        "father_status",
        STR,
        "coded 状况: normal / away / dead / missing / prison / rehab / disabled / ill / revoked / incapable / unknown",
    ),
    ("mother_name", STR, "ledger 母亲姓名"),
    ("mother_id", STR, "ledger 母亲身份证号, valid 18-character or NULL"),
    ("mother_status", STR, "as father_status"),
    ("household_id", STR, "source_system:household number, shared by a roster household's members"),
    (
        "relationship",
        STR,
        "coded 与户主关系: head / spouse / son / daughter / grandson / granddaughter / sibling / other",
    ),
    ("head_name", STR, "户主姓名 where the extract has it"),
    ("head_id", STR, "户主身份证号, valid 18-character or NULL"),
    # civil_affairs_children
    (
        "ledger_categories",
        STR,
        "registered categories, comma-joined codes (orphan, unsupported, hiv, ill_disabled, poor, left_behind, other)",
    ),
    ("lives_alone", BOOL, "是否单独居住"),
    ("living_allowance", FLOAT, "基本生活费 元/月 paid now (0 when blank)"),
    ("file_opened", DATE, "建档日期"),
    # civil_affairs_assistance
    ("assistance_type", STR, "urban_dibao / rural_dibao / tekun / low_income"),
    ("assistance_amount", FLOAT, "月救助金额 元"),
    # poverty_households
    ("poverty_household_type", STR, "registered_poor / lifted / monitored"),
    (
        "school_status",
        STR,
        "在校生状况 coded: preschool / primary / junior / senior / vocational / not_in_school / dropout",
    ),
    ("health_status", STR, "健康状况 coded: healthy / chronic / serious_illness / disabled"),
    ("work_status", STR, "务工状况 coded: none / local / county / province / out_of_province"),
    ("insured_flag", BOOL, "是否参加城乡居民基本医疗保险 as the roster says"),
    # disability_certificates
    ("disability_category", INT, "1 视力 2 听力 3 言语 4 肢体 5 智力 6 精神 7 多重"),
    ("disability_grade", INT, "1–4"),
    ("autism", BOOL, "孤独症"),
    ("rehab_received", BOOL, "康复服务状况 = 已享受"),
    ("disability_allowance", FLOAT, "困境儿童帮扶金 元/月 paid now"),
    ("disabled_student_subsidy", FLOAT, "在校残疾学生生活补助 元/年 paid this year"),
    ("certificate_date", DATE, "发证日期"),
    # education_students
    ("school_id", STR, "学校标识码"),
    ("school_stage", STR, "preschool / primary / junior / senior / vocational / special"),
    ("grade", INT, "year within the stage (一年级 = 1; 小班/中班/大班 = 1/2/3; 高一 = 1)"),
    ("boarding", STR, "day / boarding / home_delivered (走读 / 住校 / 送教上门)"),
    ("enrolment_status", STR, "enrolled / suspended / dropout / transferred / graduated"),
    ("school_flags", STR, "the school's own 是 flags, comma-joined: left_behind, orphan, disabled, poor"),
    ("boarding_subsidy", FLOAT, "寄宿生生活补助 元/年 paid this school year"),
    # health_insurance
    ("insurance_year", INT, "缴费年度"),
    ("insurance_status", STR, "paid / suspended / terminated / unpaid"),
    ("insurance_subsidy", STR, "full_tekun / full_orphan / full_dibao / full_poverty / partial / none"),
    ("insurance_subsidy_amount", FLOAT, "资助金额 元"),
    # health_conditions (restricted)
    ("diagnosis_code", STR, "ICD-10 code, upper case"),
    ("diagnosis_name", STR, "诊断名称"),
    ("diagnosis_date", DATE, "确诊日期"),
    ("out_of_pocket", FLOAT, "年度个人自付医疗费用 元"),
    ("reaches_deductible", BOOL, "是否达到大病保险起付线"),
    ("family_doctor_signed", BOOL, "家庭医生签约状态 = 已签约"),
    ("flags", STR, "fields that could not be parsed and were set NULL, comma-joined column:problem"),
    ("sync_id", INT, "the sync that staged the row"),
)

RAW_ROWS = Table(
    "raw_rows",
    "work",
    "Every data row of every file as read, before any parsing.",
    _cols(
        *SOURCE_ROW,
        ("file_hash", STR, "sha256 of the file's bytes"),
        ("cells", JSON, "the row as a JSON object header → cell text, headers as in the file"),
        ("sync_id", INT, "the sync that read the row"),
        (
            "read_fault",
            STR,
            "why the row cannot be staged as read (undecodable bytes, an over-long line, a misfiled file), naming file and row; NULL for a row read whole",
        ),
    ),
)

STAGED_RECORDS = Table(
    "staged_records",
    "work",
    "Every staged person row of the sync, all extracts, canonical columns.",
    PERSON,
    ("record_id",),
)

PAIRS = Table(
    "pairs",
    "work",
    "Scored record pairs above the lower review bound.",
    _cols(
        ("record_id_l", STR, "left record"),
        ("record_id_r", STR, "right record"),
        ("record_key_l", STR, "left record's content key: lets the next sync reuse the pair"),
        ("record_key_r", STR, "right record's content key"),
        ("match_probability", FLOAT, "Splink's probability that both rows are one child"),
        ("match_weight", FLOAT, "Splink's match weight"),
        ("levels", JSON, "comparison name → level label, for review"),
        (
            "weights",
            JSON,
            "comparison name → match weight (term-frequency adjustment included), and prior: "
            "log2 of the prior odds; they sum to match_weight",
        ),
        ("automatic", BOOL, "the model may merge the pair on its own (see linkage.link._mergeable)"),
    ),
    ("record_id_l", "record_id_r"),
)

SCORING = Table(
    "scoring",
    "work",
    "What the last sync scored its pairs with beyond the trained model, so that childreg explain scores "
    "a pair as linkage did.",
    _cols(
        ("sync_id", INT, "the sync"),
        (
            "model",
            JSON,
            "the trained model with the sync's prior and carers' levels, counted on its records "
            "(linkage.prior, linkage.counted.sync_carers)",
        ),
        (
            "common_carers",
            JSON,
            "carers' names (folded pinyin) the carers of many of the sync's children bear "
            "(linkage.prepare.common_carers)",
        ),
    ),
)

EXPECTATION_RESULTS = Table(
    "expectation_results",
    "work",
    "Great Expectations outcomes of the sync, one row per expectation run.",
    _cols(
        ("suite", STR, "suite name (a source system, or registry)"),
        ("expectation", STR, "stable expectation name"),
        ("column", STR, "column checked"),
        ("severity", STR, "extract (blocks the extract) / row (reported)"),
        ("success", BOOL, "passed"),
        ("observed", STR, "observed rate or count; never a person's value"),
        ("sync_id", INT, "sync"),
    ),
)

STAFF = Table(
    "staff",
    "work",
    "The optional civil_affairs_staff roster of the sync.",
    _cols(
        ("county_code", STR, "county"),
        ("township", STR, "township"),
        ("village", STR, "village or community"),
        ("village_kind", STR, "village / community / NULL"),
        ("name", STR, "staff member"),
        ("role", STR, "supervisor (儿童督导员) / director (儿童主任) / township_worker (乡镇儿童工作人员)"),
        ("phone", STR, "phone"),
    ),
)

SYNCS = Table(
    "syncs",
    "registry",
    "One row per sync; per-source counts as JSON so a new source needs no migration.",
    _cols(
        ("sync_id", INT, "increasing sync number"),
        ("as_of", DATE, "the date ages and periods are computed at"),
        ("started_at", TIMESTAMP, "UTC"),
        ("finished_at", TIMESTAMP, "UTC, NULL while running"),
        ("status", STR, "running / published / failed"),
        ("linkage_mode", STR, "full / incremental, and the share of new records that decided it"),
        (
            "linkage_model",
            STR,
            "fingerprint of the linkage model the sync scored with: pairs scored by another are scored again",
        ),
        (
            "sources",
            JSON,
            "per source: files, missing, rows_read, rows_staged, rows_quarantined, rows_layout,"
            " files_refused [{file, reason}] (the source did not arrive whole), files_skipped [{file, reason}]",
        ),
        ("missing_sources", STR, "comma-joined source systems with no file in this sync"),
        ("message", STR, "why a sync failed; never personal data"),
        (
            "incomplete_sources",
            STR,
            "comma-joined source systems that did not arrive whole: their alerts are neither raised nor closed",
        ),
        (
            "completeness",
            JSON,
            "per source: whole, the figures judged (files, files_with_rows, rows_read, fields) and the reasons",
        ),
        ("confirmed_drops", STR, "comma-joined source systems whose drop in rows the operator confirmed"),
    ),
    ("sync_id",),
)

QUARANTINE = Table(
    "quarantine",
    "registry",
    "Source rows that could not be staged, with the reason.",
    _cols(
        ("sync_id", INT, "sync"),
        *SOURCE_ROW,
        ("reason", STR, "why the row was not staged, naming the column"),
        ("raw_row", JSON, "the row as read"),
    ),
)

CHILDREN = Table(
    "children",
    "registry",
    "One golden record per child.",
    _cols(
        ("child_id", STR, "stable across syncs"),
        ("name", STR, "best name across the child's records"),
        ("sex", STR, "M / F"),
        ("birth_date", DATE, "best birth date"),
        ("id_number", STR, "valid 18-character number or NULL"),
        ("ethnicity", STR, "ethnic group"),
        ("hukou", STR, "rural / urban / NULL"),
        ("county_code", STR, "6-digit county code"),
        ("township", STR, "township"),
        ("village", STR, "village or community"),
        ("village_kind", STR, "village / community / NULL"),
        ("guardian_name", STR, "guardian"),
        ("guardian_phone", STR, "guardian's phone"),
        (
            "n_records",
            INT,
            "staged rows linked to the child in registry.child_records (not its restricted twin)",
        ),
        ("sources", STR, "comma-joined source systems holding the child"),
        ("first_seen_sync", INT, "sync the id was first assigned"),
        ("last_seen_sync", INT, "latest sync holding the child"),
    ),
    ("child_id",),
)

CHILD_RECORDS = Table(
    "child_records",
    "registry",
    "Every staged row of a child, with the child it belongs to.",
    _cols(
        *SOURCE_ROW,
        ("record_id", STR, "source_system:source_file:source_row"),
        ("record_key", STR, "content key, stable across syncs"),
        ("child_id", STR, "the child"),
        ("match_probability", FLOAT, "strongest link that joined the row to its child (1 for a lone row)"),
        ("sync_id", INT, "sync"),
    ),
    ("record_id",),
)

ADULT_RECORDS = Table(
    "adult_records",
    "registry",
    "Every staged row of an adult household member, or of an undetermined roster member.",
    _cols(
        *SOURCE_ROW,
        ("record_id", STR, "source_system:source_file:source_row"),
        ("household", STR, "household_id"),
        ("relationship", STR, "coded 与户主关系"),
        ("determination", STR, "adult (birth date or relationship says so) / undetermined"),
        ("name", STR, "name"),
        ("sex", STR, "M / F"),
        ("birth_date", DATE, "birth date"),
        ("id_number", STR, "valid number or NULL"),
        ("county_code", STR, "county"),
        ("township", STR, "township"),
        ("village", STR, "village"),
        ("work_status", STR, "务工状况 coded"),
        ("health_status", STR, "健康状况 coded"),
        ("assistance_type", STR, "救助类别 coded"),
        ("sync_id", INT, "sync"),
    ),
    ("record_id",),
)

CHILD_ID_LINEAGE = Table(
    "child_id_lineage",
    "registry",
    "How ids moved when clusters merged or split, so an old list still resolves.",
    _cols(
        ("sync_id", INT, "sync where it happened"),
        ("old_child_id", STR, "id as it was"),
        ("new_child_id", STR, "id that carries its records now"),
        ("event", STR, "merged (old retired into new) / split (records of old moved to new)"),
        ("n_records", INT, "records that moved"),
    ),
    ("sync_id", "old_child_id", "new_child_id"),
)

CHILD_CATEGORIES = Table(
    "child_categories",
    "registry",
    "Child × category.",
    _cols(
        ("child_id", STR, "child"),
        (
            "category",
            STR,
            "orphan / hiv / serious_illness / severe_disability / extreme_hardship / poor_family / left_behind / distressed / disabled",
        ),
        ("basis", STR, "registered / inferred"),
        ("evidence", JSON, "list of {system, file, row, field, value}"),
        ("rule", STR, "rule id and clause of the opinions"),
        ("sync_id", INT, "sync"),
    ),
    ("child_id", "category", "basis"),
)

ENTITLEMENTS = Table(
    "entitlements",
    "registry",
    "Child × benefit: what the policy promises and what the sources say is paid.",
    _cols(
        ("child_id", STR, "child"),
        ("benefit", STR, "benefit code"),
        ("expected_amount", FLOAT, "元 per period; NULL for an in-kind benefit"),
        ("received_amount", FLOAT, "元 per period; NULL when nothing is recorded"),
        ("period", STR, "month / year / school_year"),
        (
            "status",
            STR,
            "received (policy met) / underpaid (less than due) / missing (nothing paid or recorded)",
        ),
        ("sync_id", INT, "sync"),
    ),
    ("child_id", "benefit"),
)

GAP_ALERTS = Table(
    "gap_alerts",
    "registry",
    "Child × alert code, kept across syncs.",
    _cols(
        ("alert_id", STR, "stable: derived from child_id and alert"),
        ("child_id", STR, "child"),
        ("alert", STR, "alert code of policy.md"),
        ("departments", STR, "comma-joined department codes"),
        ("county_code", STR, "county"),
        ("township", STR, "township"),
        ("village", STR, "village"),
        ("detail", STR, "one Chinese sentence"),
        ("evidence", JSON, "list of {system, file, row, field, value}"),
        (
            "restricted",
            BOOL,
            "the reason reveals health_conditions data; NULL once published (the flag is in "
            "restricted.alert_evidence)",
        ),
        ("first_raised", INT, "sync that first raised it"),
        ("last_seen", INT, "latest sync in which the condition held"),
        (
            "status",
            STR,
            "open / resolved / held (kept back from every department: its source did not arrive whole, "
            "a near-miss record waits in the review queue, or 非同一儿童 was answered and the child's "
            "records go to review first)",
        ),
        ("resolved_sync", INT, "sync that resolved it"),
        (
            "department_status",
            STR,
            "latest department answer: 已办结 / 办理中 / 情况不符 / 非同一儿童, or 复核 when the alert is "
            "back on the lists after one (done but the gap persists, disputed but the evidence changed, "
            "records reviewed); NULL when never answered",
        ),
        ("status_sync", INT, "sync that set department_status"),
        (
            "status_evidence",
            STR,
            "sha256 of the evidence's facts (system, field, value) when department_status was set: "
            "a 情况不符 answer holds until they change",
        ),
        ("status_seen", INT, "later syncs that still raised the alert after department_status was set"),
    ),
    ("alert_id",),
)

ALERT_FEEDBACK = Table(
    "alert_feedback",
    "registry",
    "Every answer read from a returned department workbook (<inbox>/feedback/), kept across syncs.",
    _cols(
        ("alert_id", STR, "the alert answered (预警编号)"),
        ("department", STR, "department code of the workbook the answer came in"),
        ("answer", STR, "核实结果: 已办结 / 办理中 / 情况不符 / 非同一儿童"),
        ("answered_on", DATE, "处理日期 as the clerk wrote it; NULL when blank or unreadable"),
        ("handler", STR, "经办人"),
        ("note", STR, "备注"),
        ("file", STR, "the workbook's path within <inbox>/feedback/"),
        ("file_sha256", STR, "sha256 of the workbook's bytes: the same file dropped twice counts once"),
        ("row", INT, "1-based row of the answer in its sheet"),
        ("sheet", STR, "sheet the answer was on"),
        ("sync_id", INT, "sync that read the answer"),
    ),
)

REVIEW_PAIRS = Table(
    "review_pairs",
    "registry",
    "Uncertain record pairs for clerical review, each with why it is asked.",
    _cols(
        ("pair_id", STR, "stable: derived from both record keys"),
        ("record_key_l", STR, "left record's content key"),
        ("record_key_r", STR, "right record's content key"),
        ("record_id_l", STR, "left record in this sync"),
        ("record_id_r", STR, "right record in this sync"),
        ("match_probability", FLOAT, "Splink's probability"),
        ("match_weight", FLOAT, "Splink's match weight: log2 of the pair's odds"),
        ("levels", JSON, "comparison → level label"),
        ("weights", JSON, "comparison → match weight, and prior; they sum to match_weight"),
        (
            "reason",
            STR,
            "why the pair is asked, comma-joined, first = most pressing: held_alert (a near-miss "
            "holding an alert back) / must_link_refused (a reviewer's 'same' breaks a hard fact) / "
            "conflicting_numbers (strong pair, two different valid numbers) / tied (a row without birth "
            "date or number matching two children alike) / sole_candidate (joined below the threshold: "
            "a roster row's one candidate child) / twin_guard (strong pair "
            "whose names do not sound alike) / below_threshold",
        ),
        (
            "reason_detail",
            STR,
            "which hard fact refused a must-link: different_numbers / birth_dates / cannot_link",
        ),
        ("rank", INT, "1-based position in the queue as linkage ranks it (held alerts go first still)"),
        ("decision", STR, "NULL until reviewed; same / different"),
        ("sync_id", INT, "sync that queued it"),
        (
            "holds_alert",
            STR,
            "comma-joined alert_ids held until this pair is decided (a near-miss record would satisfy "
            "them); such pairs are reviewed first",
        ),
    ),
    ("pair_id",),
)

REVIEW_DECISIONS = Table(
    "review_decisions",
    "registry",
    "Every pair a reviewer decided (latest decision per pair); applied by each sync as "
    "must-link / cannot-link, a must-link only where no hard fact forbids it.",
    _cols(
        ("pair_id", STR, "pair"),
        ("record_key_l", STR, "left record key"),
        ("record_key_r", STR, "right record key"),
        ("decision", STR, "same / different"),
        ("reviewer", STR, "who decided, as written in the workbook"),
        ("file", STR, "workbook the decision came in"),
        ("file_sha256", STR, "sha256 of that workbook's bytes"),
        ("sync_id", INT, "sync that read it"),
    ),
    ("pair_id",),
)

REVIEW_DECISION_LOG = Table(
    "review_decision_log",
    "registry",
    "Append-only: every decision read from a review workbook, whether applied or refused.",
    _cols(
        ("sync_id", INT, "sync that read it"),
        ("pair_id", STR, "pair"),
        ("record_key_l", STR, "left record key"),
        ("record_key_r", STR, "right record key"),
        ("decision", STR, "same / different"),
        ("reviewer", STR, "who decided, as written in the workbook"),
        ("file", STR, "workbook file name within review_decisions/"),
        ("file_sha256", STR, "sha256 of the workbook's bytes"),
        ("row", INT, "row of the decision in the workbook's pair sheet"),
        ("read_at", TIMESTAMP, "UTC"),
        ("outcome", STR, "applied / refused (a must-link a hard fact forbids: back in review)"),
        ("reason", STR, "why refused; NULL when applied"),
    ),
)

REVIEW_FILES = Table(
    "review_files",
    "registry",
    "Append-only: every review workbook read, once per distinct content; a quarantined one says why.",
    _cols(
        ("sync_id", INT, "sync that read it"),
        ("file", STR, "file name within review_decisions/"),
        ("file_sha256", STR, "sha256 of its bytes: the same content is never read twice"),
        ("read_at", TIMESTAMP, "UTC"),
        ("status", STR, "accepted / quarantined"),
        ("reason", STR, "why quarantined, naming row and column, never a cell's text"),
        ("decisions", INT, "decisions taken from it (0 when quarantined)"),
    ),
)

REVIEW_KEY = Table(
    "review_key",
    "work",
    "The secret that signs the pairs a review workbook issues (HMAC-SHA256), generated once and kept across syncs; "
    "outside registry so that its readers cannot sign a pair.",
    _cols(
        ("secret", STR, "64 hex digits"),
        ("created_at", TIMESTAMP, "UTC"),
    ),
)

COVERAGE_HISTORY = Table(
    "coverage_history",
    "registry",
    "Per published sync, the coverage report's counts of children (no person): its trends. "
    "A log written at export, not swapped by publishing.",
    _cols(
        ("sync_id", INT, "the published sync the counts are of"),
        ("subject", STR, "category:<code> (a reported category) / benefit:<code> (children due it)"),
        ("county_code", STR, "county; NULL when the child's county is unknown"),
        ("measure", STR, "found / registered (categories); entitled / receiving (benefits)"),
        ("children", INT, "children counted"),
    ),
)

ERASURES = Table(
    "erasures",
    "registry",
    "One row per child erased on request; never a value of the child.",
    _cols(
        ("erased_at", TIMESTAMP, "UTC"),
        ("reason", STR, "why, as the operator gave it"),
        ("sync_id", INT, "the latest sync when the child was erased"),
    ),
)

RESTRICTED = "restricted"

SUPPRESSIONS = Table(
    "suppressions",
    RESTRICTED,
    "Keyed hashes of erased children's identities: later syncs stage none of their rows.",
    _cols(
        ("digest", STR, "HMAC-SHA256 of the identity number, or of name + birth date + county"),
        ("kind", STR, "id_number / name_birth_county"),
        ("erased_at", TIMESTAMP, "UTC"),
    ),
)

HASH_KEY = Table(
    "hash_key",
    RESTRICTED,
    "The suppressions' HMAC key (PostgreSQL; a DuckDB warehouse keeps it in a 0600 file beside it).",
    _cols(("key", STR, "hex"), ("created_at", TIMESTAMP, "UTC")),
)

RESTRICTED_EVIDENCE = Table(
    "alert_evidence",
    RESTRICTED,
    "Gap alerts whose reason, evidence or sentence reveals a restricted category (diagnoses, hiv, serious illness).",
    _cols(
        ("alert_id", STR, "alert"),
        ("child_id", STR, "child"),
        ("evidence", JSON, "the alert's whole evidence, list of {system, file, row, field, value}"),
        ("detail", STR, "the engine's sentence, when it names a restricted reason; NULL otherwise"),
        ("restricted", BOOL, "the alert's reason reveals health_conditions data (gap_alerts.restricted)"),
    ),
    ("alert_id",),
)

RESTRICTED_CATEGORIES = Table(
    "child_categories",
    RESTRICTED,
    "Child × restricted category (hiv, serious_illness): never in registry.child_categories.",
    CHILD_CATEGORIES.columns,
)

DIAGNOSES = Table(
    "diagnoses",
    RESTRICTED,
    "Diagnoses of the last sync's staged health rows, taken out of work.staged_records after publish.",
    _cols(
        ("record_id", STR, "staged row"),
        ("diagnosis_code", STR, "ICD-10 code"),
        ("diagnosis_name", STR, "诊断名称"),
        ("diagnosis_date", DATE, "确诊日期"),
        ("sync_id", INT, "sync"),
    ),
)

RESTRICTED_QUARANTINE = Table(
    "quarantine_rows",
    RESTRICTED,
    "Raw rows of quarantined rows from restricted sources (registry.quarantine keeps them without).",
    _cols(("sync_id", INT, "sync"), *SOURCE_ROW, ("raw_row", JSON, "the row as read")),
)

# A child's row from a restricted register says the child is on it; so does a review
# pair naming such a row. Those rows live in twins of the registry tables, here.
RESTRICTED_CHILD_RECORDS = Table(
    "child_records",
    RESTRICTED,
    "registry.child_records rows whose source is a restricted register (health_conditions).",
    CHILD_RECORDS.columns,
    CHILD_RECORDS.primary_key,
)

RESTRICTED_REVIEW_PAIRS = Table(
    "review_pairs",
    RESTRICTED,
    "registry.review_pairs rows of which a record comes from a restricted register.",
    REVIEW_PAIRS.columns,
    REVIEW_PAIRS.primary_key,
)

WORK_TABLES = (RAW_ROWS, STAGED_RECORDS, PAIRS, SCORING, EXPECTATION_RESULTS, STAFF, REVIEW_KEY)
REGISTRY_TABLES = (
    SYNCS,
    QUARANTINE,
    CHILDREN,
    CHILD_RECORDS,
    ADULT_RECORDS,
    CHILD_ID_LINEAGE,
    CHILD_CATEGORIES,
    ENTITLEMENTS,
    GAP_ALERTS,
    ALERT_FEEDBACK,
    REVIEW_PAIRS,
    REVIEW_DECISIONS,
    REVIEW_DECISION_LOG,
    REVIEW_FILES,
    ERASURES,
)
RESTRICTED_TABLES = (
    SUPPRESSIONS,
    HASH_KEY,
    RESTRICTED_EVIDENCE,
    RESTRICTED_CATEGORIES,
    DIAGNOSES,
    RESTRICTED_QUARANTINE,
    RESTRICTED_CHILD_RECORDS,
    RESTRICTED_REVIEW_PAIRS,
)
# Logs in the registry schema that keep every sync's rows: publishing never replaces them.
HISTORY_TABLES = (COVERAGE_HISTORY,)
ALL_TABLES = {t.name: t for t in WORK_TABLES + REGISTRY_TABLES + HISTORY_TABLES}
