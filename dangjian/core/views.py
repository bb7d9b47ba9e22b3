from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse("404", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse("403", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse("500", status=500)
