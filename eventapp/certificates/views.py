"""Routes of the organisers' certificate pages, the downloads and the public verification page."""
import json
import tempfile

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.database import utcnow
from ..core.exports import download as attachment
from ..core.extensions import limiter
from ..core.web import perform
from ..events import services as events
from . import services
from .forms import DocumentForm, ImageForm, ReasonForm, SerialForm, SettingsForm, TemplateForm
from .models import Certificate

bp = Blueprint("certificates", __name__)

PDF_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, no-store"}


def _site_address() -> str:
    """The address the QR codes open: BASE_URL, else the one this page was asked at."""
    return services.site_address(request.host_url)


def _organiser_event(event_id: int):
    return events.get_event_for_organiser(current_user, event_id)


def _settings_form(event) -> SettingsForm:
    settings = services.settings_of(event)
    form = SettingsForm(data={"language": settings.language, "signatories": settings.signatories})
    choices = [("", _("No image"))] + [(name, name) for name in services.image_names(event)]
    for entry in form.signatories:
        entry.form.image.choices = choices
    return form


@bp.get("/organiser/events/<int:event_id>/certificates")
@login_required
def overview(event_id):
    event = _organiser_event(event_id)
    return render_template("certificates/overview.html", event=event,
                           kinds=services.kind_summaries(current_user, event),
                           settings_form=_settings_form(event), image_form=ImageForm(),
                           images=services.images_of(event), jobs=services.jobs_of(event))


@bp.post("/organiser/events/<int:event_id>/certificates/settings")
@login_required
def save_settings(event_id):
    event = _organiser_event(event_id)
    form = SettingsForm()
    signatories = [{key: entry.form[key].data or "" for key in ("name_fa", "name_en", "position_fa", "position_en",
                                                                 "image")} for entry in form.signatories]
    perform(services.save_settings, current_user, event, form.language.data, signatories, utcnow(),
            success=_("The settings of the documents were saved."))
    return redirect(url_for("certificates.overview", event_id=event_id) + "#settings")


@bp.post("/organiser/events/<int:event_id>/certificates/images")
@login_required
def upload_image(event_id):
    event = _organiser_event(event_id)
    form = ImageForm()
    file = request.files.get("image")
    if file is None or not file.filename:
        flash(_("Choose an image to upload."), "error")
    else:
        content = file.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1)
        perform(services.upload_image, current_user, event, form.name.data, content, utcnow(),
                success=_("The image was uploaded."))
    return redirect(url_for("certificates.overview", event_id=event_id) + "#images")


@bp.post("/organiser/events/<int:event_id>/certificates/images/<name>/remove")
@login_required
def remove_image(event_id, name):
    event = _organiser_event(event_id)
    perform(services.remove_image, current_user, event, name, utcnow(), success=_("The image was removed."))
    return redirect(url_for("certificates.overview", event_id=event_id) + "#images")


@bp.route("/organiser/events/<int:event_id>/certificates/<kind>/template", methods=["GET", "POST"])
@login_required
def edit_template(event_id, kind):
    event = _organiser_event(event_id)
    kind = services.document_kind(kind)
    html, css, is_default = services.template_of(event, kind)
    form = TemplateForm(data={"html": html, "css": css})
    preview, status = None, 200
    if request.method == "POST" and form.validate():
        action = request.form.get("action")
        if action == "reset":
            perform(services.reset_template, current_user, event, kind, utcnow(),
                    success=_("The default template is back."))
            return redirect(url_for("certificates.edit_template", event_id=event_id, kind=kind))
        if action == "save":
            outcome = perform(services.save_template, current_user, event, kind, form.html.data, form.css.data,
                              utcnow(), form=form, success=_("The template was saved."))
            if outcome.ok:
                return redirect(url_for("certificates.edit_template", event_id=event_id, kind=kind))
            status = outcome.status
        preview = services.preview(current_user, event, kind, form.html.data, form.css.data, utcnow(),
                                   _site_address())
    elif request.method == "GET":
        preview = services.preview(current_user, event, kind, html, css, utcnow(), _site_address())
    else:
        status = 422
    return render_template("certificates/template.html", event=event, kind=kind, form=form, preview=preview,
                           is_default=is_default), status


@bp.post("/organiser/events/<int:event_id>/certificates/<kind>/issue")
@login_required
def issue_all(event_id, kind):
    event = _organiser_event(event_id)
    outcome = perform(services.start_job, current_user, event, kind, utcnow(), _site_address())
    if not outcome.ok:
        return redirect(url_for("certificates.overview", event_id=event_id))
    started = outcome.result
    if not started.created:
        flash(_("These documents are already being issued: here is the bulk issue under way."), "info")
    elif not services.enqueue(started.job):
        _flash_queue_unavailable()
    return redirect(url_for("certificates.job", job_id=started.job.id))


def _flash_queue_unavailable() -> None:
    flash(_("The job queue is unavailable just now: the bulk issue is saved and starts by itself when the queue "
            "is back. You can also press “Run again” later."), "error")


@bp.post("/organiser/events/<int:event_id>/certificates/<kind>/issue-one")
@login_required
def issue_one(event_id, kind):
    event = _organiser_event(event_id)
    perform(services.issue_one, current_user, event, kind, request.form.get("subject", ""), utcnow(), _site_address(),
            success=_("The document was issued."))
    return redirect(url_for("certificates.issued", event_id=event_id, kind=kind))


@bp.get("/organiser/events/<int:event_id>/certificates/<kind>")
@login_required
def issued(event_id, kind):
    event = _organiser_event(event_id)
    found = services.kind_documents(current_user, event, kind)
    return render_template("certificates/issued.html", event=event, kind=found.kind, certificates=found.certificates,
                           waiting=found.waiting, reason_form=ReasonForm())


@bp.get("/organiser/events/<int:event_id>/certificates/<kind>/documents.zip")
@login_required
def export(event_id, kind):
    event = _organiser_event(event_id)
    archive = tempfile.TemporaryFile()
    services.write_zip(current_user, event, kind, archive)
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{event.slug}-{kind}.zip", max_age=0)


@bp.get("/organiser/certificate-jobs/<int:job_id>")
@login_required
def job(job_id):
    found, progress = _recovered_progress(job_id)
    return render_template("certificates/job.html", job=found, progress=progress)


@bp.get("/organiser/certificate-jobs/<int:job_id>/progress")
@login_required
def job_progress(job_id):
    return jsonify(_recovered_progress(job_id)[1].as_json())


def _recovered_progress(job_id: int):
    """The job and its progress, once it is back on the queue if it was lost (see services.recover_job)."""
    found = services.get_job_for_organiser(current_user, job_id)
    queue_available = services.recover_job(found, utcnow())
    return found, services.progress(found, utcnow(), queue_available)


@bp.post("/organiser/certificate-jobs/<int:job_id>/resume")
@login_required
def resume_job(job_id):
    found = services.get_job_for_organiser(current_user, job_id)
    if perform(services.resume_job, current_user, found, utcnow()).ok and not services.enqueue(found):
        _flash_queue_unavailable()
    return redirect(url_for("certificates.job", job_id=job_id))


def _change(certificate_id: int, success: str, operation, *extra):
    """Revoke or reissue a document, for the reason the organiser gave; back to its kind's list."""
    certificate = services.get_certificate_for_organiser(current_user, certificate_id)
    form = ReasonForm()
    if not form.validate():
        flash(_("Say why."), "error")
    else:
        perform(operation, current_user, certificate, form.reason.data, utcnow(), *extra, success=success)
    return redirect(url_for("certificates.issued", event_id=certificate.event_id, kind=certificate.kind))


@bp.post("/organiser/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(certificate_id):
    return _change(certificate_id, _("The document was revoked."), services.revoke)


@bp.post("/organiser/certificates/<int:certificate_id>/reissue")
@login_required
def reissue(certificate_id):
    return _change(certificate_id, _("The document was reissued; the old one is revoked."), services.reissue,
                   _site_address())


@bp.get("/certificates/<int:certificate_id>/download")
@login_required
def download(certificate_id):
    certificate, path = services.file_for_download(current_user, certificate_id)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=services.download_name(certificate), max_age=0)
    response.headers.update(PDF_HEADERS)
    return response


# --- public verification -------------------------------------------------------------------------------


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def verify():
    """Look a document up by its serial (GET) or by the PDF itself (POST), byte for byte."""
    serial_form, document_form = SerialForm(request.args), DocumentForm()
    certificate, checked_file, status = None, False, 200
    if request.method == "POST":
        file = request.files.get("document")
        if not document_form.validate() or file is None or not file.filename:
            flash(_("Choose the PDF you received."), "error")
            status = 422
        else:
            outcome = perform(services.check_file, file.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1))
            checked_file, status = outcome.result, outcome.status
            certificate = checked_file.certificate if checked_file else None
    elif request.args.get("serial"):
        if serial_form.validate():
            return redirect(url_for("certificates.verify_code", code=services.by_serial(serial_form.serial.data)
                                    .verification_code))
        status = 422
    return render_template("certificates/verify.html", serial_form=serial_form, document_form=document_form,
                           certificate=certificate, checked_file=checked_file), status


@bp.get("/verify/<code>")
@limiter.limit("30 per minute")
def verify_code(code):
    certificate: Certificate = services.by_address(code)
    return render_template("certificates/verified.html", certificate=certificate, replacement=certificate.replaced_by)


# --- what anyone checks a credential with -------------------------------------------------------------------

@bp.get("/.well-known/jwks.json")
def jwks():
    """The public keys of the credentials, the replaced ones too (key rotation)."""
    response = jsonify(services.jwks())
    response.cache_control.public, response.cache_control.max_age = True, 300
    return response


@bp.get("/credentials/status/<int:number>")
def status_list(number):
    """Revocation list ``number``: a signed BitstringStatusListCredential (VC-JWT)."""
    if number < 1:
        abort(404)
    token = services.status_list(number, services.credential_issuer(_site_address()), utcnow())
    response = current_app.response_class(token, mimetype="application/vc+jwt")
    response.cache_control.max_age = 60
    return response


@bp.get("/credentials/<int:credential_id>.<any(json, jwt):kind>")
@login_required
def credential(credential_id, kind):
    """A member's (or the team's) credential: the VC-JWT, or its content as JSON with the JWT beside it."""
    found = services.credential_for(current_user, credential_id)
    if kind == "jwt":
        return attachment(found.token.encode(), f"credential-{found.id}.jwt", "application/vc+jwt")
    return attachment(json.dumps(services.credential_document(found), ensure_ascii=False, indent=2).encode(),
                          f"credential-{found.id}.json", "application/json")


@bp.get("/credentials/<int:credential_id>/badge.png")
@login_required
def badge(credential_id):
    """The badge image with the credential baked in: for whoever may download the credential itself."""
    return current_app.response_class(services.badge_image(services.credential_for(current_user, credential_id)),
                                      mimetype="image/png")

