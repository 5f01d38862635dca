"""Certificates: templates and their preview, issuing (one or in bulk), verifying, revoking, downloading.

Every rule is here; the views, the command line and the background jobs call these functions:
``templates`` (each event's settings, images and templates, and the preview), ``issuing`` (issuing one,
revoking and reissuing, the downloads), ``bulk`` (bulk issues, in chunks shared by the workers) and
``verification`` (the public look-ups).
None of them reads the request: the site's address for the QR codes comes from the caller (site_address).
"""
from ._shared import document_kind, site_address
from .bulk import (
    JobStart,
    KindSummary,
    Progress,
    enqueue,
    get_job_for_organiser,
    is_stale,
    jobs_of,
    kind_summaries,
    progress,
    recover_job,
    recover_jobs,
    resume_job,
    run_chunk,
    run_job,
    start_job,
    unfinished_job,
)
from .credentials import (
    KeysUnusable,
    badge_image,
    credential_document,
    credential_for,
    credential_issuer,
    credentials_of,
    jwks,
    require_keys,
    status_list,
    write_keys,
)
from .issuing import (
    Issuer,
    KindDocuments,
    certificates_of_event,
    certificates_of_team,
    certificates_of_user,
    download_name,
    file_for_download,
    get_certificate_for_organiser,
    issue_one,
    kind_documents,
    new_serial,
    reissue,
    revoke,
    valid_certificate,
    write_zip,
)
from .templates import (
    Preview,
    default_template,
    describe,
    image_files,
    image_names,
    images_of,
    preview,
    remove_image,
    reset_template,
    save_settings,
    save_template,
    settings_of,
    template_of,
    upload_image,
)
from .verification import FileCheck, by_address, by_file, by_serial, check_file, normalize_serial

__all__ = [
    "FileCheck", "KeysUnusable", "badge_image", "credential_document", "credential_for", "credential_issuer", "check_file", "credentials_of", "jwks", "require_keys", "status_list",
    "write_keys", "Issuer", "JobStart", "KindDocuments", "KindSummary", "Preview", "Progress", "by_address", "by_file", "by_serial",
    "certificates_of_event", "certificates_of_team", "certificates_of_user", "default_template", "describe",
    "document_kind", "download_name", "enqueue", "file_for_download", "get_certificate_for_organiser",
    "get_job_for_organiser", "image_files", "image_names", "images_of", "is_stale", "issue_one", "jobs_of",
    "kind_documents", "kind_summaries", "new_serial", "normalize_serial", "preview", "progress", "recover_job",
    "recover_jobs", "reissue",
    "remove_image", "reset_template", "resume_job", "revoke", "run_chunk", "run_job", "save_settings", "save_template",
    "settings_of", "site_address", "start_job", "template_of", "unfinished_job", "upload_image",
    "valid_certificate", "write_zip",
]
