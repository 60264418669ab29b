"""The journal stage: what the mock was asked and what it answered, secrets masked; where
entries are kept is ``mockserver.state``'s business."""
