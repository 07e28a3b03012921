"""factory_boy factories with safe, clinically plausible defaults.

Override only what a test is about.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from therapies.models import DrugClass, ExpectedSideEffect, FrequencyBand, SideEffectTerm, Therapy
from tracker import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")
    role = m.Role.CLINICIAN


class ClinicianFactory(UserFactory):
    role = m.Role.CLINICIAN
    profession = "nurse"


class PatientUserFactory(UserFactory):
    role = m.Role.PATIENT


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CareTeam
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Care team {n}")
    phone = "+33 1 23 45 67 89"
    out_of_hours_phone = "+33 1 98 76 54 32"  # open Monday-Friday 08:00-18:00 (model defaults)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    birth_date = datetime.date(1965, 4, 12)
    care_team = factory.SubFactory(CareTeamFactory)
    user = factory.SubFactory(PatientUserFactory)


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SideEffectTerm
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"term_{n}")
    kind = "reported"
    label_en = factory.LazyAttribute(lambda t: t.slug.replace("_", " ").capitalize())
    label_fr = factory.LazyAttribute(lambda t: t.slug.replace("_", " ").capitalize())
    ctcae_term = factory.LazyAttribute(lambda t: t.slug.replace("_", " ").capitalize())


class TherapyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapy
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"therapy-{n}")
    name = factory.LazyAttribute(lambda t: t.slug.replace("-", " ").title())
    agent = factory.LazyAttribute(lambda t: t.name)
    drug_class = DrugClass.IL1_BLOCKER
    target = "IL-1 receptor"
    indications = "Rheumatoid arthritis"
    route = "SC"
    setting = "outpatient"
    regimen = "100 mg SC once daily"
    source = "test"


class ExpectedSideEffectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpectedSideEffect

    therapy = factory.SubFactory(TherapyFactory)
    term = factory.SubFactory(TermFactory)
    frequency_band = FrequencyBand.COMMON
    source = "test"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Course

    patient = factory.SubFactory(PatientFactory)
    therapy = factory.LazyFunction(lambda: Therapy.objects.get(slug="anakinra"))
    care_team = factory.LazyAttribute(lambda c: c.patient.care_team)
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    baseline_weight_kg = Decimal("70.0")
    baseline_systolic_bp = 120
    baseline_diastolic_bp = 75
    baseline_heart_rate = 72
    baseline_temperature_c = Decimal("36.8")
    baseline_creatinine_mg_dl = Decimal("0.90")
