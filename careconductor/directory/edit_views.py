"""The directory's own pages beside the search: a service's page (any member of staff who searches), and editing
organisations, their services, places, phones and hours and marking a service verified (administrators and
supervisors: actions.EDITORS). Thin views: a form parses, an action changes, refusals show beside their fields.
The directory is the organisation's and holds no patient data: rows are fetched within the user's organisation
(another organisation's ids answer 404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careconductor.accounts.rules import Page, roles_for
from careconductor.core import clock
from careconductor.core.forms import post_form, set_choices
from careconductor.core.languages import LANGUAGE_CHOICES, language_name
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from . import actions, forms
from .actions import LocationDetails, ProviderDetails, ScheduleDetails, ServiceDetails
from .models import Location, Phone, Provider, Schedule, Service

searcher_view = staff_view(roles_for(Page.RESOURCES))
editor_view = staff_view(actions.EDITORS)
MOST_LISTED = 100


def _render(
    request: StaffRequest, template: str, context: dict[str, Any], *, failed: bool = False
) -> HttpResponse:
    return render(
        request, f"directory/{template}", {"nav": "resources", **context}, status=400 if failed else 200
    )


def _service(request: StaffRequest, service_id: int) -> Service:
    service = (
        Service.objects.filter(organization_id=request.user.org_id, pk=service_id)
        .select_related("provider", "verified_by")
        .first()
    )
    if service is None:
        raise Http404("No such service in your directory.")
    return service


def _provider(request: StaffRequest, provider_id: int) -> Provider:
    provider = Provider.objects.filter(organization_id=request.user.org_id, pk=provider_id).first()
    if provider is None:
        raise Http404("No such organisation in your directory.")
    return provider


# A service's page ----------------------------------------------------------------------------------------------


@searcher_view
@require_GET
def service_page(request: StaffRequest, service_id: int) -> HttpResponse:
    return _service_page(request, _service(request, service_id))


def _service_page(
    request: StaffRequest, service: Service, failed: dict[str, Any] | None = None
) -> HttpResponse:
    editing = actions.may_edit(request.user)
    context: dict[str, Any] = {
        "service": service,
        "provider": service.provider,
        "places": list(service.locations.order_by("pk")),
        "phones": list(service.phones.all()),
        "schedules": list(service.schedules.all()),
        "languages": [language_name(code) for code in service.languages],
        "needs": [label for value, label in forms.Need.choices if value in service.needs],
        "editing": editing,
    }
    if editing:
        context |= {
            "phone_form": forms.PhoneForm(),
            "schedule_form": forms.ScheduleForm(),
            "verify_form": forms.VerifyForm(initial={"on": clock.today()}),
            **(failed or {}),
        }
    return _render(request, "service.html", context, failed=bool(failed))


def _back_to(service: Service) -> str:
    return reverse("directory:service", args=[service.pk])


@editor_view
@require_POST
def add_phone(request: StaffRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    form = forms.PhoneForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_add_phone(request.user, service, d["number"], d["extension"], d["type"]),
        success="Phone number added.",
        done_url=_back_to(service),
        redisplay=lambda: _service_page(request, service, {"phone_form": form}),
    )


@editor_view
@require_POST
def remove_phone(request: StaffRequest, service_id: int, phone_id: int) -> HttpResponse:
    service = _service(request, service_id)
    phone = Phone.objects.filter(service=service, pk=phone_id).first()
    if phone is None:
        raise Http404("No such phone number.")
    actions.do_remove_phone(request.user, phone)
    messages.success(request, f"Phone number {phone} removed.")
    return redirect(_back_to(service))


@editor_view
@require_POST
def add_schedule(request: StaffRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    form = forms.ScheduleForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_add_schedule(
            request.user,
            service,
            ScheduleDetails(
                tuple(d["days"]),
                d["opens_at"],
                d["closes_at"],
                d["valid_from"],
                d["valid_to"],
                d["description"],
            ),
        ),
        success="Opening hours added.",
        done_url=_back_to(service),
        redisplay=lambda: _service_page(request, service, {"schedule_form": form}),
    )


@editor_view
@require_POST
def remove_schedule(request: StaffRequest, service_id: int, schedule_id: int) -> HttpResponse:
    service = _service(request, service_id)
    schedule = Schedule.objects.filter(service=service, pk=schedule_id).first()
    if schedule is None:
        raise Http404("No such opening hours.")
    actions.do_remove_schedule(request.user, schedule)
    messages.success(request, "Opening hours removed.")
    return redirect(_back_to(service))


@editor_view
@require_POST
def verify(request: StaffRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    form = forms.VerifyForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_verify_service(request.user, service, on=d["on"]),
        success=lambda s: f"Marked as checked on {s.verified_on:%-d %b %Y}.",
        done_url=_back_to(service),
        redisplay=lambda: _service_page(request, service, {"verify_form": form}),
    )


# Organisations -------------------------------------------------------------------------------------------------


@editor_view
@require_GET
def providers(request: StaffRequest) -> HttpResponse:
    wanted = request.GET.get("q", "").replace("\x00", "").strip()[:100]  # PostgreSQL refuses NUL in text
    rows = Provider.objects.filter(organization_id=request.user.org_id)
    if wanted:
        rows = rows.filter(name__icontains=wanted)
    shown = list(rows.order_by("name", "pk")[: MOST_LISTED + 1])
    return _render(
        request,
        "providers.html",
        {"providers": shown[:MOST_LISTED], "more": len(shown) > MOST_LISTED, "q": wanted,
         "may_import": request.user.role in roles_for(Page.SETUP)},
    )  # fmt: skip


def _provider_form_page(
    request: StaffRequest, provider: Provider | None, form: forms.ProviderForm, *, failed: bool = False
) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "provider": provider}
    if provider is not None:
        context["services"] = list(provider.services.order_by("name", "pk"))
        context["places"] = list(provider.locations.order_by("name", "pk"))
    return _render(request, "provider.html", context, failed=failed)


def _provider_details(d: dict[str, Any]) -> ProviderDetails:
    return ProviderDetails(d["name"], d["description"], d["email"], d["website"], d["hipaa_covered"])


@editor_view
@require_http_methods(["GET", "POST"])
def new_provider(request: StaffRequest) -> HttpResponse:
    form = forms.ProviderForm(request.POST or None)
    if request.method == "GET":
        return _provider_form_page(request, None, form)
    return post_form(
        request,
        form,
        lambda d: actions.do_save_provider(request.user, _provider_details(d)),
        success=lambda p: f"{p.name} added. Now add its places and services.",
        done_url=lambda p: reverse("directory:provider", args=[p.pk]),
        redisplay=lambda: _provider_form_page(request, None, form, failed=True),
    )


@editor_view
@require_http_methods(["GET", "POST"])
def provider_page(request: StaffRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    if request.method == "GET":
        initial = {f: getattr(provider, f) for f in actions.PROVIDER_FIELDS}
        return _provider_form_page(request, provider, forms.ProviderForm(initial=initial))
    form = forms.ProviderForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_save_provider(request.user, _provider_details(d), provider),
        success="Saved.",
        done_url=reverse("directory:provider", args=[provider.pk]),
        redisplay=lambda: _provider_form_page(request, provider, form, failed=True),
    )


# Services -------------------------------------------------------------------------------------------------------


def _service_form(provider: Provider, service: Service | None, data: Any = None) -> forms.ServiceForm:
    initial: dict[str, Any] = {}
    if service is not None:
        initial = {f: getattr(service, f) for f in actions.SERVICE_FIELDS}
        initial["cost"] = {True: "free", False: "fees", None: ""}[service.free]
        initial["location_ids"] = list(service.locations.values_list("pk", flat=True))
    form = forms.ServiceForm(data, initial=initial)
    set_choices(
        form, "location_ids", [(p.pk, str(p) or "(a place without a name)") for p in provider.locations.all()]
    )
    known = dict(LANGUAGE_CHOICES)
    extra = [
        (code, language_name(code)) for code in (service.languages if service else []) if code not in known
    ]
    set_choices(form, "languages", [*LANGUAGE_CHOICES, *extra])
    return form


def _service_details(d: dict[str, Any]) -> ServiceDetails:
    return ServiceDetails(
        name=d["name"],
        status=d["status"],
        description=d["description"],
        url=d["url"],
        email=d["email"],
        application_process=d["application_process"],
        needs=tuple(d["needs"]),
        languages=tuple(d["languages"]),
        free={"free": True, "fees": False}.get(d["cost"]),
        fees_description=d["fees_description"],
        eligibility_description=d["eligibility_description"],
        minimum_age=d["minimum_age"],
        maximum_age=d["maximum_age"],
        location_ids=tuple(d["location_ids"]),
    )


def _form_page(
    request: StaffRequest, form: Any, title: str, back: str, *, failed: bool = False, **more: Any
) -> HttpResponse:
    return _render(request, "form.html", {"form": form, "title": title, "back": back, **more}, failed=failed)


@editor_view
@require_http_methods(["GET", "POST"])
def new_service(request: StaffRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    form = _service_form(provider, None, request.POST or None)
    back = reverse("directory:provider", args=[provider.pk])

    def page(failed: bool = False) -> HttpResponse:
        return _form_page(request, form, f"A new service of {provider.name}", back, failed=failed)

    if request.method == "GET":
        return page()
    return post_form(
        request,
        form,
        lambda d: actions.do_save_service(request.user, provider, _service_details(d)),
        success=lambda s: f"{s.name} added. Add its phone numbers and opening hours.",
        done_url=lambda s: reverse("directory:service", args=[s.pk]),
        redisplay=lambda: page(True),
    )


@editor_view
@require_http_methods(["GET", "POST"])
def edit_service(request: StaffRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    form = _service_form(service.provider, service, request.POST or None)
    back = reverse("directory:service", args=[service.pk])

    def page(failed: bool = False) -> HttpResponse:
        return _form_page(request, form, f"Change {service.name}", back, failed=failed)

    if request.method == "GET":
        return page()
    return post_form(
        request,
        form,
        lambda d: actions.do_save_service(request.user, service.provider, _service_details(d), service),
        success="Saved.",
        done_url=back,
        redisplay=lambda: page(True),
    )


# Places ---------------------------------------------------------------------------------------------------------


def _location_details(d: dict[str, Any]) -> LocationDetails:
    return LocationDetails(**{f: d[f] for f in actions.LOCATION_FIELDS})


@editor_view
@require_http_methods(["GET", "POST"])
def new_location(request: StaffRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    form = forms.LocationForm(request.POST or None)
    back = reverse("directory:provider", args=[provider.pk])

    def page(failed: bool = False) -> HttpResponse:
        return _form_page(request, form, f"A new place of {provider.name}", back, failed=failed)

    if request.method == "GET":
        return page()
    return post_form(
        request,
        form,
        lambda d: actions.do_save_location(request.user, provider, _location_details(d)),
        success=lambda loc: "Place added." + ("" if loc.latitude is not None else " Its distance is not known: "
                                               "give its coordinates or a known ZIP code."),
        done_url=back,
        redisplay=lambda: page(True),
    )  # fmt: skip


@editor_view
@require_http_methods(["GET", "POST"])
def edit_location(request: StaffRequest, location_id: int) -> HttpResponse:
    location = (
        Location.objects.filter(organization_id=request.user.org_id, pk=location_id)
        .select_related("provider")
        .first()
    )
    if location is None or location.provider is None:
        raise Http404("No such place in your directory.")
    provider = location.provider
    initial = {f: getattr(location, f) for f in actions.LOCATION_FIELDS}
    form = forms.LocationForm(request.POST or None, initial=initial)
    back = reverse("directory:provider", args=[provider.pk])

    def page(failed: bool = False) -> HttpResponse:
        return _form_page(request, form, f"Change {location}", back, failed=failed)

    if request.method == "GET":
        return page()
    return post_form(
        request,
        form,
        lambda d: actions.do_save_location(request.user, provider, _location_details(d), location),
        success="Saved.",
        done_url=back,
        redisplay=lambda: page(True),
    )
