from django.urls import path

from . import views

app_name = "careplans"
urlpatterns = [
    path("cases/<int:case_id>/start/", views.start_plan, name="start"),
    path("<int:plan_id>/", views.plan_detail, name="plan"),
    path("<int:plan_id>/problems/", views.add_problems, name="add_problems"),
    path("<int:plan_id>/goals/new/", views.goal_new, name="goal_new"),
    path("<int:plan_id>/interventions/new/", views.intervention_new, name="intervention_new"),
    path("<int:plan_id>/decisions/new/", views.decision_new, name="decision_new"),
    path("<int:plan_id>/templates/", views.template_list, name="templates"),
    path("<int:plan_id>/templates/<slug:template_id>/", views.template_apply, name="template_apply"),
    path("<int:plan_id>/publish/", views.publish, name="publish"),
    path("<int:plan_id>/versions/", views.versions, name="versions"),
    path("<int:plan_id>/versions/<int:number>/decide/", views.decide, name="decide"),
    path("<int:plan_id>/agreement/", views.agreement, name="agreement"),
    path("<int:plan_id>/review/", views.review, name="review"),
    path("<int:plan_id>/end/", views.end_plan, name="end"),
    path("<int:plan_id>/print/", views.print_view, name="print"),
    path("<int:plan_id>/plan.pdf", views.pdf_view, name="pdf"),
    path("problems/<int:problem_id>/", views.update_problem, name="problem"),
    path("goals/<int:goal_id>/", views.goal_detail, name="goal"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/progress/", views.goal_progress_view, name="goal_progress"),
    path("goals/<int:goal_id>/status/", views.goal_lifecycle, name="goal_lifecycle"),
    path("goals/<int:goal_id>/readings/", views.goal_reading, name="goal_reading"),
    path("goals/<int:goal_id>/steps/", views.goal_step, name="goal_step"),
    path("goals/<int:goal_id>/barriers/", views.goal_barrier, name="goal_barrier"),
    path("steps/<int:step_id>/", views.step_update, name="step"),
    path("barriers/<int:barrier_id>/", views.barrier_update, name="barrier"),
    path("interventions/<int:intervention_id>/", views.intervention_update, name="intervention"),
]
