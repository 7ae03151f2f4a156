{{/* Names: <fullname> is the stable Deployment and the root Service, as in
     release.kube.names.KubeNames (base = fullname). */}}
{{- define "lendops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lendops.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 56 | trimSuffix "-" -}}
{{- else -}}
{{- .Release.Name | trunc 56 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lendops.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "lendops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lendops
{{- end -}}

{{/* Pods of the lending service, both tracks (the root Service selects these). */}}
{{- define "lendops.serviceSelector" -}}
app.kubernetes.io/name: {{ include "lendops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: lending
{{- end -}}

{{- define "lendops.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/* The optional tools run the lending image unless told otherwise. */}}
{{- define "lendops.toolImage" -}}
{{- $root := index . 0 -}}{{- $img := index . 1 -}}
{{- $repo := default $root.Values.image.repository $img.repository -}}
{{- $tag := default $root.Values.stable.version $img.tag -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{- define "lendops.canaryVersion" -}}
{{- default .Values.stable.version .Values.canary.version -}}
{{- end -}}

{{- define "lendops.controllerServiceAccount" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (printf "%s-controller" (include "lendops.fullname" .)) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Cohort codes sorted, as the traffic providers write them. */}}
{{- define "lendops.cohort" -}}
{{- $codes := list -}}
{{- range .Values.traffic.cohort }}{{ $codes = append $codes (toString .) }}{{ end -}}
{{- $codes | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/* LENDING_DB_URL. Without a configured database each pod gets its own SQLite file on
     its emptyDir: enough to try the chart, not a deployment (NOTES.txt warns). */}}
{{- define "lendops.dbEnv" -}}
{{- if .Values.lending.db.existingSecret -}}
- name: LENDING_DB_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.lending.db.existingSecret }}
      key: {{ .Values.lending.db.secretKey }}
{{- else -}}
- name: LENDING_DB_URL
  value: {{ default "sqlite:////tmp/lendops.sqlite" .Values.lending.db.url | quote }}
{{- end -}}
{{- end -}}
