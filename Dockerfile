# Placeholder: the berth base image is built in its own issue (#6).
# It will be: ARG BASE_IMAGE=node:20-bookworm-slim / FROM ${BASE_IMAGE}, berth installed,
# /envoyai/{input,output,status}, a non-root user and an exec-form ENTRYPOINT running `berth exec`.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
CMD ["node", "--version"]
