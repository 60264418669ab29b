"""The SendGrid operations the write stack answers, by the class answering them: operation id
-> the method. Known at build without importing that stack, which is built on the first call
that needs it (``behaviour.py``; issue 25)."""

from __future__ import annotations

#: ``writes.SegmentWrites``: the operations that write, then the reads it renders from a view.
SEGMENT_WRITES = {
    "CreateSegmentV2": "create",
    "UpdateSegmentV2": "update",
    "DeleteSegmentV2": "delete",
    "RefreshSegmentV2": "refresh",
    "DeleteSegment": "delete_v1",
}
SEGMENT_READS = {"ListSegmentsV2": "list", "GetSegmentV2": "get"}
#: ``list_writes.ListWrites``.
LIST_WRITES = {
    "CreateList": "create",
    "UpdateList": "update",
    "DeleteList": "delete",
    "RemoveListContacts": "remove_contacts",
}
LIST_READS = {"ListLists": "list", "GetList": "get", "GetListContactCount": "count"}
#: ``contact_writes.ContactWrites``.
CONTACT_WRITES = {"UpsertContacts": "upsert", "DeleteContacts": "delete"}
CONTACT_READS = {
    "ListContacts": "sample",
    "GetContactCount": "count",
    "GetContact": "get",
    "GetImportStatus": "job",
    "SearchContacts": "search",
    "SearchContactsByEmails": "by_emails",
    "GetContactsBatch": "batch",
    "ListFieldDefinitions": "field_definitions",
}
