"""The import page's forms: every field bounded and parsed by core.inputs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.inputs import MonthFormField
from kpi.imports.reader import KINDS, UPLOAD_MAX_BYTES
from kpi.models import Scheme


class UploadForm(forms.Form):
    file = forms.FileField(label=_("数据文件"), help_text=_("Excel（.xlsx/.xls）、.ods 或 CSV，不超过 10 MB"))
    scheme = forms.ModelChoiceField(label=_("考核方案"), queryset=Scheme.objects.none(), required=False, to_field_name="code",
                                    empty_label=_("按数据月份自动选择"))
    month = MonthFormField(label=_("月份"), required=False, help_text=_("表中、标题和工作表名称都没有写明月份时使用"))

    def __init__(self, *args, schemes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes if schemes is not None else Scheme.objects.none()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(KINDS):
            raise forms.ValidationError(_("只能导入 .xlsx、.xls、.ods 或 .csv 文件"))
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("文件过大，不能超过 10 MB"))
        return upload


class TemplateForm(forms.Form):
    scheme = forms.ModelChoiceField(label=_("考核方案"), queryset=Scheme.objects.none(), to_field_name="code")
    month = MonthFormField(label=_("月份"))

    def __init__(self, *args, schemes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes if schemes is not None else Scheme.objects.none()


class AliasForm(forms.Form):
    name = forms.CharField(max_length=100)
    branch = forms.SlugField(max_length=40)
