"""The registry columns the exports read, by table: what they show or count, nothing else.

The categories' and alerts' evidence JSON, the children's source lists and the
links' file positions are most of those tables at a city's size, and no export
prints them; a table not named here is read whole.
"""

from warehouse.tables import GAP_ALERTS

READ_COLUMNS: dict[str, list[str]] = {
    "children": [
        "child_id",
        "name",
        "sex",
        "birth_date",
        "id_number",
        "guardian_name",
        "guardian_phone",
        "county_code",
        "township",
        "village",
    ],
    "child_categories": ["child_id", "category", "basis"],
    "entitlements": ["child_id", "benefit", "received_amount", "status"],
    # Every alert column but the evidence JSON and the sync it was last seen in.
    "gap_alerts": [c for c in GAP_ALERTS.column_names if c not in ("evidence", "last_seen")],
    "child_records": ["child_id", "source_system"],
}
