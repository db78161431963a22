"""Issue codes: stable names owners can rely on, each with one message template and one
fix template. Every Issue's words come from here."""

from __future__ import annotations

# code -> (title, message template, fix template). {value}, {column}, {detail}, {fix}
# and {other} are filled in per cell.
CODES: dict[str, tuple[str, str, str]] = {
    "required-missing": ("Required value missing", "{column} is empty.",
                         "Fill in {column}, or delete the row if it is not a real {what}."),
    "email-invalid": ("Email address not valid", "{value!r} is not a usable email: {detail}.",
                      "{fix}"),
    "phone-invalid": ("Phone number not valid", "{value!r} is not a usable phone number: {detail}.",
                      "{fix}"),
    "date-invalid": ("Date not readable", "{value!r} is not a date: {detail}.",
                     "Type the date as YYYY-MM-DD, or format the cell as a date."),
    "date-ambiguous": ("Date reads two ways", "{value!r} could be {fix} or {other}.",
                       "Set 'Dates are day-first' in Settings, or type the date as YYYY-MM-DD."),
    "amount-invalid": ("Amount not readable", "{value!r} is not an amount: {detail}.",
                       "Type a number such as 1234.50."),
    "amount-negative": ("Negative amount", "{value!r} is below zero.",
                        "If this is a refund, set the order's Status to refunded."),
    "amount-currency": ("Other currency", "{value!r} is in {detail}, not in {other}.",
                        "Convert it to {other}, or check the Currency setting."),
    "order-no-contact": ("Order with no customer",
                         "No contact matches {value!r}.",
                         "Add this customer to Contacts, or correct the {column} of the {what}."),
    "order-number-repeated": ("Order number used twice",
                              "Order number {value!r} is also on row {other}.",
                              "Give each order its own number."),
    "contact-unreachable": ("No way to reach this contact",
                            "This contact has neither an email nor a phone number.",
                            "Add an email or a phone number."),
    "crm-id-repeated": ("CRM ID copied", "CRM ID {value!r} is also on row {other}; this row "
                        "gets a new one.", "Nothing to do: crmsheets gave this row a new ID."),
    "error-cell": ("Error in cell", "The cell shows the error {value}.",
                   "Fix the formula or the value it points at."),
    "formula-text": ("Text that looks like a formula",
                     "{value!r} starts like a formula.",
                     "crmsheets keeps it as text; if it came from a form, check it is not "
                     "an attack on whoever exports the sheet."),
    "too-long": ("Value too long", "The cell holds {detail} characters; Excel keeps at most "
                 "32,767.", "Shorten it, or move long notes to another place."),
    "choice-unknown": ("Unknown choice", "{value!r} is not one of: {detail}.",
                       "Pick one of: {detail}."),
    "yesno-unknown": ("Neither yes nor no", "{value!r} is neither yes nor no.",
                      "Type yes or no."),
    "header-duplicate": ("Two columns mean the same",
                         "Two columns mean {detail}: {other!r} (used) and {value!r} (ignored).",
                         "Rename or remove one of them."),
    "header-missing": ("Column without a header",
                       "Column {detail} has values but no header in row {other} (a merged "
                       "header cell hides it?).",
                       "Give the column a header, or unmerge the header cells."),
    "decision-unknown": ("Decision not understood", "{value!r} is not one of: {detail}.",
                         "Pick one of: {detail}; until then the group is left as it is."),
    "form-response-unusable": ("Form response not usable",
                               "This response cannot become a contact: {detail}.",
                               "Type the person's email address into {column}; the next sync "
                               "adds the response."),
    "setting-invalid": ("Setting not usable", "{column}: {detail}; using {other} instead.",
                        "{fix}"),
}


def message(code: str, **kw: object) -> tuple[str, str]:
    """The message and fix for `code`, from its one template."""
    _, msg, fix = CODES[code]
    fields = {"value": "", "column": "", "detail": "", "fix": "", "other": "", "what": "row"}
    fields.update(kw)
    return msg.format(**fields), fix.format(**fields)
