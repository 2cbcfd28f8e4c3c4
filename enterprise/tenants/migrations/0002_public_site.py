# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The public site is the `public` schema's tenant, served on the bare base domain."""

from django.conf import settings
from django.db import migrations


def create_public_site(apps, schema_editor):
    Organization = apps.get_model("tenants", "Organization")
    Domain = apps.get_model("tenants", "Domain")
    public, _ = Organization.objects.get_or_create(
        schema_name="public", defaults={"name": "Aiser", "slug": "public"}
    )
    Domain.objects.get_or_create(
        domain=settings.AISER_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_public_site, migrations.RunPython.noop)]
