import os

from django.core.wsgi import get_wsgi_application

from dangjian.core.collector import tune_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
tune_for_serving()  # the collector's thresholds for a web process (dangjian.core.collector)
