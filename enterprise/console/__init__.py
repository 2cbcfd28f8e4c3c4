# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
