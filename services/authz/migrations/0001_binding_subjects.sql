-- A sensitive permission is decided only once the deciding view has applied every committed
-- event of the caller's bindings and of their roles. This finds a subject's bindings in the
-- store (only `SubjectBound` names the subject).
CREATE INDEX events_authz_binding_subject ON events ((payload -> 'SubjectBound' ->> 'subject'))
    WHERE aggregate_type = 'authz.binding';
