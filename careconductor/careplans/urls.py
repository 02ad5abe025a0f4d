from django.urls import path

from .views import decisions, goals, interventions, patient_copy, plan, problems, templates, versions

app_name = "careplans"
urlpatterns = [
    path("cases/<int:case_id>/start/", plan.start_plan, name="start"),
    path("<int:plan_id>/", plan.plan_detail, name="plan"),
    path("<int:plan_id>/problems/", problems.add_problems, name="add_problems"),
    path("<int:plan_id>/goals/new/", goals.goal_new, name="goal_new"),
    path("<int:plan_id>/interventions/new/", interventions.intervention_new, name="intervention_new"),
    path("<int:plan_id>/decisions/new/", decisions.decision_new, name="decision_new"),
    path("<int:plan_id>/templates/", templates.template_list, name="templates"),
    path("<int:plan_id>/templates/<slug:template_id>/", templates.template_apply, name="template_apply"),
    path("<int:plan_id>/publish/", plan.publish, name="publish"),
    path("<int:plan_id>/versions/", versions.versions, name="versions"),
    path("<int:plan_id>/versions/<int:number>/decide/", plan.decide, name="decide"),
    path("<int:plan_id>/agreement/", plan.agreement, name="agreement"),
    path("<int:plan_id>/review/", plan.review, name="review"),
    path("<int:plan_id>/end/", plan.end_plan, name="end"),
    path("<int:plan_id>/print/", patient_copy.print_view, name="print"),
    path("<int:plan_id>/plan.pdf", patient_copy.pdf_view, name="pdf"),
    path("problems/<int:problem_id>/", problems.update_problem, name="problem"),
    path("goals/<int:goal_id>/", goals.goal_detail, name="goal"),
    path("goals/<int:goal_id>/edit/", goals.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/progress/", goals.goal_progress_view, name="goal_progress"),
    path("goals/<int:goal_id>/status/", goals.goal_lifecycle, name="goal_lifecycle"),
    path("goals/<int:goal_id>/readings/", goals.goal_reading, name="goal_reading"),
    path("goals/<int:goal_id>/steps/", goals.goal_step, name="goal_step"),
    path("goals/<int:goal_id>/barriers/", goals.goal_barrier, name="goal_barrier"),
    path("steps/<int:step_id>/", goals.step_update, name="step"),
    path("barriers/<int:barrier_id>/", goals.barrier_update, name="barrier"),
    path("interventions/<int:intervention_id>/", interventions.intervention_update, name="intervention"),
]
