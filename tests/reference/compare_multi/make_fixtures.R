#!/usr/bin/env Rscript
# Table 1 for any number of groups: reference values for core.compare.compare_multi and
# the r x c tests of core.stats (fisher_rxc_p, chisq_rxc, kruskal_wallis).
#
# Run from anywhere:  Rscript tests/reference/compare_multi/make_fixtures.R
# Reads sample_data/cohort.csv (split by antibody subtype, derived from the anti_* columns
# as core.io does: Mi2 if anti_mi2 = 1, else the positive antibody, else seronegative) and
# the real data sets in tests/data/realdata/ (pbc by stage and by edema, lung by ph_ecog,
# colon by rx, veteran by celltype). Writes, next to this script:
#   splits.csv    one row per (data set, split): group labels in order (";"-separated),
#                 patients per group, patients in no group (split value missing)
#   features.csv  one row per (split, feature): type (binary / categorical / continuous),
#                 fisher.test() P of the level x group table (NA when R's network
#                 algorithm fails), chisq.test(correct = FALSE) X^2, df, P,
#                 kruskal.test() statistic, df, P
#   cells.csv     n / N per (feature, level, group incl. "Overall"), for binary the
#                 "yes" count; level "Unknown" = missing count / group size; continuous:
#                 quantile(type = 7) Q1, median, Q3 and the number of values
#   pairwise.csv  each pair of groups ("pair") and each group vs the other compared
#                 patients ("vs_rest"): fisher.test() (2 x 2 or levels x 2, levels present in
#                 the two groups) or wilcox.test(exact = FALSE, correct = TRUE) P, and
#                 p.adjust(, "BH") within the feature and comparison
#   tables.csv    hand-made r x c tables: fisher.test P and chisq.test(correct = FALSE)
# Every number is printed with sprintf('%.15g'). Missing values are excluded per feature.

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
root <- normalizePath(file.path(out_dir, "..", "..", ".."))
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))

safe_fisher <- function(tab) tryCatch(fisher.test(tab, workspace = 2e8)$p.value, error = function(e) NA)

# ------------------------------------------------------------------ data sets -------
sample <- read.csv(file.path(root, "sample_data", "cohort.csv"), stringsAsFactors = FALSE)
sample$subtype <- ifelse(sample$anti_mi2 %in% 1, "Mi2",
                  ifelse(sample$anti_mda5 %in% 1, "MDA5",
                  ifelse(sample$anti_tif1g %in% 1, "TIF1g",
                  ifelse(sample$anti_nxp2 %in% 1, "NXP2",
                  ifelse(sample$anti_sae %in% 1, "SAE", "seronegative")))))
rd <- function(name) read.csv(file.path(root, "tests", "data", "realdata", paste0(name, ".csv")),
                             stringsAsFactors = FALSE)
pbc <- rd("pbc"); lung <- rd("lung"); colon <- rd("colon"); veteran <- rd("veteran")
sample_bin <- c("alopecia", "calcinosis", "skin_ulceration", "gottron", "holster_sign",
                "classic_dm_rash_only", "myalgia", "elevated_ck", "dyspnea", "dlco_lt_70", "arthritis")

# name, data, split column, group order, features list(name = type)
splits <- list(
  list("sample_subtype", sample, "subtype", c("Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "seronegative"),
       c(setNames(rep("binary", length(sample_bin)), sample_bin),
         ck_max_ul = "continuous", age_at_diagnosis = "continuous", sex = "categorical")),
  list("pbc_stage", pbc, "stage", c("1", "2", "3", "4"),
       c(ascites = "binary", hepato = "binary", spiders = "binary", trt = "categorical",
         sex = "categorical", edema = "categorical", bili = "continuous", albumin = "continuous",
         age_at_diagnosis = "continuous", protime = "continuous")),
  list("pbc_edema", pbc, "edema", c("0", "0.5", "1"),
       c(ascites = "binary", hepato = "binary", sex = "categorical", stage = "categorical",
         bili = "continuous", chol = "continuous")),
  list("lung_ecog", lung, "ph_ecog", c("0", "1", "2", "3"),
       c(sex = "categorical", age_at_diagnosis = "continuous", meal_cal = "continuous",
         wt_loss = "continuous", ph_karno = "continuous")),
  list("colon_rx", colon, "rx", c("Obs", "Lev", "Lev+5FU"),
       c(obstruct = "binary", perfor = "binary", adhere = "binary", node4 = "binary",
         sex = "categorical", differ = "categorical", extent = "categorical",
         age_at_diagnosis = "continuous", nodes = "continuous")),
  list("veteran_celltype", veteran, "celltype", c("squamous", "smallcell", "adeno", "large"),
       c(trt = "categorical", prior = "categorical", karno = "continuous", diagtime = "continuous",
         age_at_diagnosis = "continuous"))
)

# written form of a value, as core.groups.category_text (integral numbers without ".0")
txt <- function(v) {
  if (!is.numeric(v)) return(ifelse(is.na(v) | v == "", NA, v))
  out <- ifelse(v == round(v), sprintf("%d", as.integer(round(v))), as.character(v))
  ifelse(is.na(v), NA, out)
}
levels_of <- function(v) { u <- unique(v[!is.na(v)]); n <- suppressWarnings(as.numeric(u))
  u[order(is.na(n), n, u)] }

split_rows <- list(); feat_rows <- list(); cell_rows <- list(); pair_rows <- list()
add <- function(lst, ...) { lst[[length(lst) + 1]] <- data.frame(..., stringsAsFactors = FALSE); lst }

pair_p <- function(type, x1, x2) {
  x1 <- x1[!is.na(x1)]; x2 <- x2[!is.na(x2)]
  if (!length(x1) || !length(x2)) return(NA)
  if (type == "continuous") {
    if (length(unique(c(x1, x2))) < 2) return(NA)
    return(wilcox.test(x1, x2, exact = FALSE, correct = TRUE)$p.value)
  }
  g <- c(rep("a", length(x1)), rep("b", length(x2)))
  v <- c(x1, x2)
  if (type == "binary") tab <- table(factor(v, levels = c("0", "1")), g) else tab <- table(v, g)
  if (nrow(tab) < 2) return(NA)
  safe_fisher(tab)
}

for (sp in splits) {
  name <- sp[[1]]; d <- sp[[2]]; col <- sp[[3]]; order <- sp[[4]]; feats <- sp[[5]]
  g <- txt(d[[col]])
  inside <- !is.na(g) & g %in% order
  d <- d[inside, ]; g <- g[inside]
  sizes <- sapply(order, function(o) sum(g == o))
  split_rows <- add(split_rows, split = name, groups = paste(order, collapse = ";"),
                    sizes = paste(sizes, collapse = ";"), n_excluded = sum(!inside))
  for (f in names(feats)) {
    type <- feats[[f]]
    v <- d[[f]]
    if (type != "continuous") v <- txt(v)
    groups_all <- c("Overall", order)
    members <- function(o) if (o == "Overall") rep(TRUE, length(g)) else g == o
    fp <- NA; cs <- c(NA, NA, NA); kw <- c(NA, NA, NA)
    if (type == "continuous") {
      ok <- !is.na(v)
      k <- kruskal.test(v[ok], g[ok])
      kw <- c(k$statistic, k$parameter, k$p.value)
      for (o in groups_all) {
        x <- v[members(o)]; xs <- x[!is.na(x)]
        q <- if (length(xs)) quantile(xs, c(.25, .5, .75), type = 7) else c(NA, NA, NA)
        cell_rows <- add(cell_rows, split = name, feature = f, level = "", group = o,
                         n = length(xs), N = length(x), q1 = fmt(q[1]), median = fmt(q[2]), q3 = fmt(q[3]))
      }
    } else {
      ok <- !is.na(v)
      lev <- if (type == "binary") c("0", "1") else levels_of(v)
      tab <- table(factor(v[ok], levels = lev), factor(g[ok], levels = order))
      tab <- tab[rowSums(tab) > 0, colSums(tab) > 0, drop = FALSE]
      if (nrow(tab) >= 2 && ncol(tab) >= 2) {
        fp <- safe_fisher(tab)
        ct <- suppressWarnings(chisq.test(tab, correct = FALSE))
        cs <- c(ct$statistic, ct$parameter, ct$p.value)
      }
      shown <- if (type == "binary") "1" else lev
      for (o in groups_all) {
        x <- v[members(o)]
        N <- sum(!is.na(x))
        for (l in shown) cell_rows <- add(cell_rows, split = name, feature = f,
                                          level = if (type == "binary") "" else l, group = o,
                                          n = sum(x == l, na.rm = TRUE), N = N, q1 = "NA", median = "NA", q3 = "NA")
      }
    }
    for (o in groups_all) {
      x <- v[members(o)]
      cell_rows <- add(cell_rows, split = name, feature = f, level = "Unknown", group = o,
                       n = sum(is.na(x)), N = length(x), q1 = "NA", median = "NA", q3 = "NA")
    }
    feat_rows <- add(feat_rows, split = name, feature = f, type = type, fisher_p = fmt(fp),
                     chisq_statistic = fmt(cs[1]), chisq_df = fmt(cs[2]), chisq_p = fmt(cs[3]),
                     kruskal_statistic = fmt(kw[1]), kruskal_df = fmt(kw[2]), kruskal_p = fmt(kw[3]))
    # pairwise and one-vs-rest
    prs <- combn(order, 2)
    ps <- apply(prs, 2, function(pr) pair_p(type, v[g == pr[1]], v[g == pr[2]]))
    qs <- p.adjust(ps, "BH")
    for (i in seq_len(ncol(prs))) pair_rows <- add(pair_rows, split = name, feature = f, comparison = "pair",
                                                   group_1 = prs[1, i], group_2 = prs[2, i],
                                                   p_value = fmt(ps[i]), q_value = fmt(qs[i]))
    if (length(order) > 2) {
      ps <- sapply(order, function(o) pair_p(type, v[g == o], v[g != o]))
      qs <- p.adjust(ps, "BH")
      for (i in seq_along(order)) pair_rows <- add(pair_rows, split = name, feature = f, comparison = "vs_rest",
                                                   group_1 = order[i], group_2 = "rest",
                                                   p_value = fmt(ps[i]), q_value = fmt(qs[i]))
    }
  }
}

write.csv(do.call(rbind, split_rows), file.path(out_dir, "splits.csv"), row.names = FALSE)
write.csv(do.call(rbind, feat_rows), file.path(out_dir, "features.csv"), row.names = FALSE)
write.csv(do.call(rbind, cell_rows), file.path(out_dir, "cells.csv"), row.names = FALSE)
write.csv(do.call(rbind, pair_rows), file.path(out_dir, "pairwise.csv"), row.names = FALSE)

# ------------------------------------------------------------ hand-made tables -------
# rows separated by "|", cells by " "
tabs <- list(
  sym_2x2 = matrix(c(3, 1, 1, 3), 2, byrow = TRUE),
  r3c3 = matrix(c(1, 2, 3, 4, 0, 2, 0, 3, 1), 3, byrow = TRUE),
  r2c4 = matrix(c(20, 10, 15, 30, 25, 30, 10, 5), 2, byrow = TRUE),
  r2c6_sparse = matrix(c(0, 1, 0, 2, 0, 5, 3, 0, 4, 1, 2, 0), 2, byrow = TRUE),
  r4c2 = matrix(c(5, 0, 3, 2, 0, 6, 2, 2), 4, byrow = TRUE),
  r3c4_ties = matrix(c(2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1), 3, byrow = TRUE),
  r5c3 = matrix(c(3, 1, 0, 2, 2, 1, 0, 4, 1, 1, 0, 3, 2, 2, 2), 5, byrow = TRUE),
  r2c3_large = matrix(c(60, 45, 30, 40, 55, 70), 2, byrow = TRUE)
)
tab_rows <- list()
for (nm in names(tabs)) {
  t <- tabs[[nm]]
  ct <- suppressWarnings(chisq.test(t, correct = FALSE))
  tab_rows <- add(tab_rows, name = nm, table = paste(apply(t, 1, paste, collapse = " "), collapse = "|"),
                  fisher_p = fmt(fisher.test(t, workspace = 2e8)$p.value), chisq_statistic = fmt(ct$statistic),
                  chisq_df = fmt(ct$parameter), chisq_p = fmt(ct$p.value))
}
write.csv(do.call(rbind, tab_rows), file.path(out_dir, "tables.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("stats", packageVersion("stats"))), file.path(out_dir, "versions.txt"))
