def test_demo_loads_the_whole_28_point_draft(demo_data):
    from provisions.models import Provision

    assert Provision.objects.filter(version__label__icontains="28").count() == 28
